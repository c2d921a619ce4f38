package org.lbfgsbeam.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.transforms.NetworkModelFiles;

/**
 * A trained multilayer perceptron on disk, in the same language-neutral format as the linear models
 * ({@link ModelFiles}): {@code model.json} says what the network is and names one weights file per
 * matrix; every weights file is {@code LBFGSWT1} (magic, int64 rows, int64 columns, float64 row-major,
 * little-endian), and model.json records each file's SHA-256 ({@link ModelFiles#writeWeightsFile})
 * so that the reader refuses a damaged one.
 *
 * <p>{@code model.json}: {@code format} ("lbfgs-beam-model/1"), {@code model} ("mlp"), {@code classes}
 * K, {@code features} d<sub>0</sub>, {@code labels} (the original label of output c at index c),
 * {@code lambda}, {@code layerSizes} [d<sub>0</sub>, hidden&hellip;, K], {@code activation} of the hidden
 * layers (relu, tanh, sigmoid), {@code loss} (cross-entropy: softmax outputs; squared: raw outputs),
 * and {@code layers}: for layer l its {@code weights} file (d<sub>l+1</sub> &times; d<sub>l</sub>: row
 * o holds the weights into unit o) and its {@code bias} file (d<sub>l+1</sub> &times; 1), with
 * their SHA-256 in {@code weightsSha256} and {@code biasSha256}. The network computes
 * a<sub>0</sub> = x, z<sub>l</sub> = W<sub>l</sub>a<sub>l</sub> + b<sub>l</sub>,
 * a<sub>l+1</sub> = &sigma;(z<sub>l</sub>) for hidden layers, and softmax(z<sub>L&minus;1</sub>) (or
 * z<sub>L&minus;1</sub>) at the output.
 *
 * @param network the architecture
 * @param theta the parameters in the network's layout (W<sub>0</sub>, b<sub>0</sub>, W<sub>1</sub>,
 *     &hellip;)
 * @param labels the original label of each output
 * @param lambda the L2 weight it was trained with
 * @param dir the directory it was read from, or null
 */
record NetworkModel(MultilayerPerceptron network, double[] theta, int[] labels, double lambda,
    Path dir) implements ClassifierModel {
  static final String NAME = NetworkModelFiles.MODEL;

  /** The network's input size d<sub>0</sub>. */
  @Override
  public int features() {
    return network.inputs(0);
  }

  /** K. */
  @Override
  public int classes() {
    return labels.length;
  }

  /** Writes the model into {@code dir} (created; must not exist). */
  void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode json = mapper.createObjectNode();
    json.put("format", ModelFiles.FORMAT);
    json.put("model", NAME);
    json.put("classes", labels.length);
    json.put("features", features());
    ArrayNode labelArray = json.putArray("labels");
    for (int l : labels) {
      labelArray.add(l);
    }
    json.put("lambda", lambda);
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
      String weightsSha256 = ModelFiles.writeWeightsFile(dir.resolve(weights), out, in,
          Arrays.copyOfRange(theta, network.weightOffset(l), network.weightOffset(l) + out * in));
      String biasSha256 = ModelFiles.writeWeightsFile(dir.resolve(bias), out, 1,
          Arrays.copyOfRange(theta, network.biasOffset(l), network.biasOffset(l) + out));
      ObjectNode layer = layers.addObject();
      layer.put("weights", weights);
      layer.put(NetworkModelFiles.WEIGHTS_SHA256, weightsSha256);
      layer.put("bias", bias);
      layer.put(NetworkModelFiles.BIAS_SHA256, biasSha256);
      layer.put("inputs", in);
      layer.put("outputs", out);
    }
    mapper.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), json);
  }

  /** Whether the model directory (or run directory) {@code dir} holds a network. */
  static boolean isNetwork(Path dir) throws IOException {
    Path file = modelJson(dir);
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try {
      return NAME.equals(new ObjectMapper().readTree(file.toFile()).path("model").asText());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return false; // SavedModel.open reports it
    }
  }

  /**
   * Reads a network from a model directory or a run directory holding {@code model/}, with the one
   * reader of network models ({@link NetworkModelFiles}).
   *
   * @throws InputFormatException naming the file and what is wrong with it
   */
  static NetworkModel read(Path dir) throws IOException {
    Path modelDir = modelJson(dir).getParent();
    try {
      NetworkModelFiles.Network n = NetworkModelFiles.read(modelDir.toString());
      return new NetworkModel(n.network(), n.theta(), n.labels(), n.lambda(), modelDir);
    } catch (InputFormatException e) {
      throw e;
    } catch (IOException e) {
      String message = String.valueOf(e.getMessage());
      int colon = message.indexOf(": ");
      throw colon < 0 ? new InputFormatException(modelDir.toString(), 0, message)
          : new InputFormatException(message.substring(0, colon), 0, message.substring(colon + 2));
    }
  }

  /**
   * The top-{@code top} classes and their probabilities (a squared-error network: its raw outputs,
   * and a NaN log-loss) for every example of {@code data} (features
   * already aligned to the model), scored in batches, with the log-loss when {@code trueClass} is
   * given.
   */
  @Override
  public SoftmaxScorer.Scores score(SparseDataset data, int[] trueClass, int top) {
    int n = data.numExamples();
    int d = features();
    int k = classes();
    int batch = 1000;
    int[] topClass = new int[n * top];
    double[] topProbability = new double[n * top];
    double[] logLoss = trueClass == null ? null : new double[n];
    int[] offsets = data.rowOffsets();
    int[] columns = data.columns();
    double[] values = data.values();
    for (int from = 0; from < n; from += batch) {
      int rows = Math.min(batch, n - from);
      double[] x = new double[rows * d];
      for (int r = 0; r < rows; r++) {
        for (int p = offsets[from + r]; p < offsets[from + r + 1]; p++) {
          if (columns[p] < d) {
            x[r * d + columns[p]] = values[p];
          }
        }
      }
      double[] p = network.scores(theta, x, rows);
      for (int r = 0; r < rows; r++) {
        int i = from + r;
        Integer[] order = new Integer[k];
        for (int c = 0; c < k; c++) {
          order[c] = c;
        }
        int off = r * k;
        // Most probable first; ties to the smaller class, as the softmax scorer ranks them.
        Arrays.sort(order, (a, b) -> p[off + a] != p[off + b] ? Double.compare(p[off + b], p[off + a])
            : Integer.compare(a, b));
        for (int t = 0; t < top; t++) {
          topClass[i * top + t] = order[t];
          topProbability[i * top + t] = p[off + order[t]];
        }
        if (logLoss != null) {
          // Squared-error networks output scores, not probabilities: no log-loss.
          logLoss[i] = network.loss() == Loss.SOFTMAX_CROSS_ENTROPY
              ? -Math.log(p[off + trueClass[i]]) : Double.NaN;
        }
      }
    }
    return new SoftmaxScorer.Scores(n, top, topClass, topProbability, logLoss);
  }

  static String lossName(Loss loss) {
    return NetworkModelFiles.lossName(loss);
  }

  private static Path modelJson(Path dir) {
    Path direct = dir.resolve("model.json");
    return !Files.exists(direct) && Files.exists(dir.resolve("model").resolve("model.json"))
        ? dir.resolve("model").resolve("model.json") : direct;
  }
}
