package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * The one reader and writer of the networks that {@code train --model mlp} and the stochastic
 * training write, in the format of {@link ModelFormat}: used by the command line ({@code train},
 * {@code evaluate}, {@code predict}) and by {@link ScoreExamples}.
 *
 * <p>{@code model.json}: {@code format} ({@value ModelFormat#FORMAT}), {@code model} ("mlp"),
 * {@code classes} K, {@code features} d<sub>0</sub>, {@code labels} (the original label of output c
 * at index c), {@code lambda}, {@code layerSizes} [d<sub>0</sub>, hidden&hellip;, K],
 * {@code activation} (relu, tanh, sigmoid) of the hidden layers, {@code loss} (cross-entropy: softmax
 * outputs; squared: raw outputs), and {@code layers}: per layer l its {@code weights} file
 * (d<sub>l+1</sub> &times; d<sub>l</sub>, row o the weights into unit o) and {@code bias} file
 * (d<sub>l+1</sub> &times; 1), their SHA-256 in {@code weightsSha256} and {@code biasSha256} (absent
 * in models written before they were recorded), {@code inputs} and {@code outputs}. Every file is
 * checked as it is read ({@link WeightsIntegrity}): its length against the layer's shape, every
 * weight finite, and its SHA-256 when model.json has one. The network computes a<sub>0</sub> = x,
 * z<sub>l</sub> = W<sub>l</sub>a<sub>l</sub> + b<sub>l</sub>, a<sub>l+1</sub> = &sigma;(z<sub>l</sub>)
 * for hidden layers, and softmax(z<sub>L&minus;1</sub>) (or z<sub>L&minus;1</sub>) at the output.
 */
public final class NetworkModelFiles {
  /** The {@code model} of a network in model.json. */
  public static final String MODEL = "mlp";
  /** The model.json field of a layer holding the SHA-256 of its weights file. */
  public static final String WEIGHTS_SHA256 = "weightsSha256";
  /** The model.json field of a layer holding the SHA-256 of its bias file. */
  public static final String BIAS_SHA256 = "biasSha256";

  private NetworkModelFiles() {}

  /**
   * A network read back.
   *
   * @param network the architecture
   * @param theta its parameters in the network's layout (W<sub>0</sub>, b<sub>0</sub>, W<sub>1</sub>, &hellip;)
   * @param labels the original label of each output
   * @param lambda the L2 weight it was trained with
   */
  public record Network(MultilayerPerceptron network, double[] theta, int[] labels, double lambda)
      implements Serializable {
    /** The network's input size d<sub>0</sub>. */
    public int features() {
      return network.inputs(0);
    }

    /** K, its outputs. */
    public int classes() {
      return labels.length;
    }
  }

  /** Whether {@code dir}'s model.json exists and names a network. */
  public static boolean isNetwork(String dir) {
    return MODEL.equals(ModelFormat.modelOf(dir));
  }

  /** The name of the loss in model.json. */
  public static String lossName(Loss loss) {
    return loss == Loss.SOFTMAX_CROSS_ENTROPY ? "cross-entropy" : "squared";
  }

  /**
   * Writes {@code model} into {@code dir} (created): two weights files per layer, then model.json
   * with their SHA-256.
   *
   * @throws IOException a {@link java.nio.file.FileSystemException} naming the file a write failed
   */
  public static void write(Path dir, Network model) throws IOException {
    MultilayerPerceptron network = model.network();
    double[] theta = model.theta();
    Files.createDirectories(dir);
    ObjectNode json = new ObjectMapper().createObjectNode();
    json.put("format", ModelFormat.FORMAT);
    json.put("model", MODEL);
    json.put("classes", model.classes());
    json.put("features", model.features());
    ArrayNode labelArray = json.putArray("labels");
    for (int l : model.labels()) {
      labelArray.add(l);
    }
    json.put("lambda", model.lambda());
    ArrayNode sizes = json.putArray("layerSizes");
    for (int s : network.layerSizes()) {
      sizes.add(s);
    }
    json.put("activation", network.hiddenActivation().name().toLowerCase(Locale.ROOT));
    json.put("loss", lossName(network.loss()));
    ArrayNode layers = json.putArray("layers");
    for (int l = 0; l < network.layers(); l++) {
      int in = network.inputs(l);
      int out = network.outputs(l);
      String weights = String.format(Locale.ROOT, "layer-%02d-weights.bin", l);
      String bias = String.format(Locale.ROOT, "layer-%02d-bias.bin", l);
      String weightsSha256 = ModelFormat.writeWeights(dir.resolve(weights), out, in,
          Arrays.copyOfRange(theta, network.weightOffset(l), network.weightOffset(l) + out * in));
      String biasSha256 = ModelFormat.writeWeights(dir.resolve(bias), out, 1,
          Arrays.copyOfRange(theta, network.biasOffset(l), network.biasOffset(l) + out));
      ObjectNode layer = layers.addObject();
      layer.put("weights", weights);
      layer.put(WEIGHTS_SHA256, weightsSha256);
      layer.put("bias", bias);
      layer.put(BIAS_SHA256, biasSha256);
      layer.put("inputs", in);
      layer.put("outputs", out);
    }
    ModelFormat.writeJson(dir, json);
  }

  /**
   * Reads the network in {@code dir}.
   *
   * @throws java.nio.file.NoSuchFileException naming model.json or a weights file that is missing
   * @throws InputFormatException naming model.json if it is not JSON, not a network, or its shapes
   *     disagree; naming the weights file if it is truncated or longer than its shape, holds a
   *     non-finite weight, or its SHA-256 is not the one model.json records
   */
  public static Network read(String dir) throws IOException {
    JsonNode json = ModelFormat.readJson(dir);
    String name = ModelFormat.resolve(dir, ModelFormat.MODEL_JSON).toString();
    if (!MODEL.equals(json.path("model").asText())) {
      throw new InputFormatException(name, 0, "not a " + ModelFormat.FORMAT + " " + MODEL
          + " model");
    }
    int[] sizes = ints(json.path("layerSizes"), name, "layerSizes");
    int[] labels = ints(json.path("labels"), name, "labels");
    MultilayerPerceptron network;
    try {
      network = MultilayerPerceptron.of(sizes,
          Activation.valueOf(json.path("activation").asText().toUpperCase(Locale.ROOT)),
          lossOf(json.path("loss").asText()));
    } catch (IllegalArgumentException e) {
      throw new InputFormatException(name, 0, e.getMessage());
    }
    if (labels.length != sizes[sizes.length - 1]) {
      throw new InputFormatException(name, 0, labels.length + " labels for "
          + sizes[sizes.length - 1] + " outputs");
    }
    JsonNode layers = json.path("layers");
    if (!layers.isArray() || layers.size() != network.layers()) {
      throw new InputFormatException(name, 0, "needs " + network.layers() + " layers, but has "
          + layers.size());
    }
    double[] theta = new double[network.parameterCount()];
    for (int l = 0; l < network.layers(); l++) {
      JsonNode layer = layers.get(l);
      String where = "layers[" + l + "]";
      int layerIndex = l;
      int inputs = network.inputs(l);
      double[] w = ModelFormat.readWeights(dir, layer.path("weights").asText(), where,
          network.outputs(l), inputs, WeightsIntegrity.checksumField(layer, WEIGHTS_SHA256, name,
              where),
          q -> "(layer " + layerIndex + ", unit " + q / inputs + ", input " + q % inputs + ")");
      System.arraycopy(w, 0, theta, network.weightOffset(l), w.length);
      double[] b = ModelFormat.readWeights(dir, layer.path("bias").asText(), where,
          network.outputs(l), 1, WeightsIntegrity.checksumField(layer, BIAS_SHA256, name, where),
          q -> "(layer " + layerIndex + " bias, unit " + q + ")");
      System.arraycopy(b, 0, theta, network.biasOffset(l), b.length);
    }
    return new Network(network, theta, labels, json.path("lambda").asDouble());
  }

  private static Loss lossOf(String name) {
    return switch (name) {
      case "cross-entropy" -> Loss.SOFTMAX_CROSS_ENTROPY;
      case "squared" -> Loss.SQUARED_ERROR;
      default -> throw new IllegalArgumentException("loss must be cross-entropy or squared, but was: "
          + name);
    };
  }

  private static int[] ints(JsonNode array, String name, String field) throws IOException {
    if (!array.isArray() || array.isEmpty()) {
      throw new InputFormatException(name, 0, field + " must be a non-empty array of ints");
    }
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      if (!array.get(i).isIntegralNumber() || !array.get(i).canConvertToInt()) {
        throw new InputFormatException(name, 0, field + "[" + i + "] must be an int, but was: "
            + array.get(i));
      }
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
