package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.function.IntFunction;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * Reads a network that {@code train --model mlp} saved, through Beam's FileSystems: the one reader of
 * network models, used by the command line ({@code evaluate}, {@code predict}) and by
 * {@link ScoreExamples}.
 *
 * <p>{@code model.json}: {@code format} ("lbfgs-beam-model/1"), {@code model} ("mlp"),
 * {@code classes} K, {@code features} d<sub>0</sub>, {@code labels} (the original label of output c
 * at index c), {@code lambda}, {@code layerSizes} [d<sub>0</sub>, hidden&hellip;, K],
 * {@code activation} (relu, tanh, sigmoid) of the hidden layers, {@code loss} (cross-entropy: softmax
 * outputs; squared: raw outputs), and {@code layers}: per layer l its {@code weights} file
 * (d<sub>l+1</sub> &times; d<sub>l</sub>, row o the weights into unit o) and {@code bias} file
 * (d<sub>l+1</sub> &times; 1), both {@code LBFGSWT1} weights files (magic, int64 rows, int64 columns,
 * float64 row-major, little-endian), and their SHA-256 in {@code weightsSha256} and
 * {@code biasSha256} (absent in models written before they were recorded). Every file is checked as
 * it is read ({@link WeightsIntegrity}): its length against the layer's shape, every weight finite,
 * and its SHA-256 when model.json has one.
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
      implements Serializable {}

  /** Whether {@code dir}'s model.json exists and names a network. */
  public static boolean isNetwork(String dir) {
    try {
      return MODEL.equals(readJson(SoftmaxModelFiles.resolve(dir, "model.json")).path("model")
          .asText());
    } catch (IOException e) {
      return false;
    }
  }

  /** The name of the loss in model.json. */
  public static String lossName(Loss loss) {
    return loss == Loss.SOFTMAX_CROSS_ENTROPY ? "cross-entropy" : "squared";
  }

  /**
   * Reads the network in {@code dir}.
   *
   * @throws IOException naming the file and what is wrong: missing, not JSON, not a network, shapes
   *     that disagree; an {@link org.lbfgsbeam.core.data.InputFormatException} naming the weights
   *     file if it is truncated or longer than its shape, holds a non-finite weight, or its SHA-256
   *     is not the one model.json records
   */
  public static Network read(String dir) throws IOException {
    ResourceId file = SoftmaxModelFiles.resolve(dir, "model.json");
    String name = file.toString();
    JsonNode json = readJson(file);
    if (!"lbfgs-beam-model/1".equals(json.path("format").asText())
        || !MODEL.equals(json.path("model").asText())) {
      throw new IOException(name + ": not a lbfgs-beam-model/1 " + MODEL + " model");
    }
    int[] sizes = ints(json.path("layerSizes"), name, "layerSizes");
    int[] labels = ints(json.path("labels"), name, "labels");
    MultilayerPerceptron network;
    try {
      network = MultilayerPerceptron.of(sizes,
          Activation.valueOf(json.path("activation").asText().toUpperCase(Locale.ROOT)),
          lossOf(json.path("loss").asText()));
    } catch (IllegalArgumentException e) {
      throw new IOException(name + ": " + e.getMessage(), e);
    }
    if (labels.length != sizes[sizes.length - 1]) {
      throw new IOException(name + ": " + labels.length + " labels for " + sizes[sizes.length - 1]
          + " outputs");
    }
    JsonNode layers = json.path("layers");
    if (!layers.isArray() || layers.size() != network.layers()) {
      throw new IOException(name + ": needs " + network.layers() + " layers, but has "
          + layers.size());
    }
    double[] theta = new double[network.parameterCount()];
    for (int l = 0; l < network.layers(); l++) {
      JsonNode layer = layers.get(l);
      String where = "layers[" + l + "]";
      int layerIndex = l;
      int inputs = network.inputs(l);
      readInto(dir, layer.path("weights").asText(), network.outputs(l), inputs,
          WeightsIntegrity.checksumField(layer, WEIGHTS_SHA256, name, where),
          q -> "(layer " + layerIndex + ", unit " + q / inputs + ", input " + q % inputs + ")",
          theta, network.weightOffset(l));
      readInto(dir, layer.path("bias").asText(), network.outputs(l), 1,
          WeightsIntegrity.checksumField(layer, BIAS_SHA256, name, where),
          q -> "(layer " + layerIndex + " bias, unit " + q + ")", theta, network.biasOffset(l));
    }
    return new Network(network, theta, labels, json.path("lambda").asDouble());
  }

  private static void readInto(String dir, String fileName, int rows, int cols, String sha256,
      IntFunction<String> position, double[] theta, int offset) throws IOException {
    if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\")) {
      throw new IOException(SoftmaxModelFiles.resolve(dir, "model.json")
          + ": a layer's file must be a file name in the model directory, but was: '" + fileName
          + "'");
    }
    ResourceId file = SoftmaxModelFiles.resolve(dir, fileName);
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)),
        1 << 16)) {
      double[] w = SoftmaxModelFiles.readWeights(in, file.toString(), rows, cols, sha256, position);
      System.arraycopy(w, 0, theta, offset, w.length);
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new IOException("missing weights file " + file, e);
    }
  }

  private static JsonNode readJson(ResourceId file) throws IOException {
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)))) {
      JsonNode json = new ObjectMapper().readTree(in);
      if (json == null || !json.isObject()) {
        throw new IOException(file + ": not a JSON object");
      }
      return json;
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new IOException("no model: " + file + " does not exist", e);
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not JSON: " + e.getOriginalMessage(), e);
    }
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
      throw new IOException(name + ": " + field + " must be a non-empty array of ints");
    }
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      if (!array.get(i).isIntegralNumber() || !array.get(i).canConvertToInt()) {
        throw new IOException(name + ": " + field + "[" + i + "] must be an int, but was: "
            + array.get(i));
      }
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
