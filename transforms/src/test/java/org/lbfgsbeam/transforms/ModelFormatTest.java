package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * The model format stays readable: models exactly as {@code train} wrote them before checksums were
 * recorded (commits edffbdf and 9f7d5bc up to 5ae159a: {@code lbfgs-beam-model/1} without
 * {@code sha256}, {@code weightsSha256}, {@code biasSha256}), written here byte for byte, load and
 * score; and today's writers write the same bytes, with only the checksum fields added to
 * model.json.
 */
class ModelFormatTest {
  /** W of a 3-class, 2-feature softmax model, classes in 2 blocks (1 + 2), as train split it. */
  private static final double[][] W = {{0.5, -1.0}, {0.25, 2.0}, {-0.75, 0.0}};

  /** model.json as the writer of edffbdf wrote it (Jackson's default pretty printer). */
  private static final String OLD_SOFTMAX_JSON = """
      {
        "format" : "lbfgs-beam-model/1",
        "model" : "softmax",
        "classes" : 3,
        "features" : 2,
        "labels" : [ -1, 2, 5 ],
        "lambda" : 0.001,
        "blocks" : [ {
          "file" : "weights-00000.bin",
          "firstRow" : 0,
          "rows" : 1
        }, {
          "file" : "weights-00001.bin",
          "firstRow" : 1,
          "rows" : 2
        } ]
      }""";

  /** The weights files: magic, int64 rows, int64 columns, float64 row-major, little-endian. */
  private static final Map<String, String> OLD_SOFTMAX_WEIGHTS = Map.of(
      "weights-00000.bin", "4c42464753575431" + "0100000000000000" + "0200000000000000"
          + "000000000000e03f" + "000000000000f0bf",
      "weights-00001.bin", "4c42464753575431" + "0200000000000000" + "0200000000000000"
          + "000000000000d03f" + "0000000000000040" + "000000000000e8bf" + "0000000000000000");

  /** A 2-1-2 tanh network as the writer of 9f7d5bc wrote it. */
  private static final String OLD_NETWORK_JSON = """
      {
        "format" : "lbfgs-beam-model/1",
        "model" : "mlp",
        "classes" : 2,
        "features" : 2,
        "labels" : [ 0, 1 ],
        "lambda" : 0.0,
        "layerSizes" : [ 2, 1, 2 ],
        "activation" : "tanh",
        "loss" : "cross-entropy",
        "layers" : [ {
          "weights" : "layer-00-weights.bin",
          "bias" : "layer-00-bias.bin",
          "inputs" : 2,
          "outputs" : 1
        }, {
          "weights" : "layer-01-weights.bin",
          "bias" : "layer-01-bias.bin",
          "inputs" : 1,
          "outputs" : 2
        } ]
      }""";

  private static final Map<String, String> OLD_NETWORK_WEIGHTS = Map.of(
      "layer-00-weights.bin", "4c42464753575431" + "0100000000000000" + "0200000000000000"
          + "000000000000e03f" + "000000000000f0bf",
      "layer-00-bias.bin", "4c42464753575431" + "0100000000000000" + "0100000000000000"
          + "000000000000d03f",
      "layer-01-weights.bin", "4c42464753575431" + "0200000000000000" + "0100000000000000"
          + "000000000000f03f" + "000000000000f0bf",
      "layer-01-bias.bin", "4c42464753575431" + "0200000000000000" + "0100000000000000"
          + "0000000000000000" + "000000000000e03f");

  @TempDir
  Path tmp;

  private static Path writeOld(Path dir, String json, Map<String, String> weights)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("model.json"), json);
    for (Map.Entry<String, String> file : weights.entrySet()) {
      Files.write(dir.resolve(file.getKey()), HexFormat.of().parseHex(file.getValue()));
    }
    return dir;
  }

  private static String sha256(String hex) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(HexFormat.of().parseHex(hex)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aSoftmaxModelWrittenBeforeChecksumsLoadsAndScores() throws IOException {
    Path dir = writeOld(tmp.resolve("old"), OLD_SOFTMAX_JSON, OLD_SOFTMAX_WEIGHTS);
    LinearModelFiles.Info info = LinearModelFiles.readInfo(dir.toString());
    assertArrayEquals(new int[] {-1, 2, 5}, info.labels());
    assertNull(info.blocks().get(0).sha256());
    assertNull(info.blocks().get(1).sha256());
    double[][] w = LinearModelFiles.readSoftmaxWeights(info);
    for (int c = 0; c < 3; c++) {
      assertArrayEquals(W[c], w[c], 0.0);
    }
    // x = (1, 1): margins -0.5, 2.25, -0.75
    SparseDataset data = SparseDataset.of(2, new int[] {-1, 2, 5}, new int[] {0, 2},
        new int[] {0, 1}, new double[] {1, 1}, new int[] {1});
    ClassScores scores = SoftmaxScoring.score(info, data, data.labels(), 3);
    assertArrayEquals(new int[] {1, 0, 2}, scores.topClass());
    double logZ = Math.log(Math.exp(-0.5) + Math.exp(2.25) + Math.exp(-0.75));
    assertEquals(Math.exp(2.25 - logZ), scores.probabilityAt(0, 0), 1e-15);
    assertEquals(logZ - 2.25, scores.logLoss()[0], 1e-15);
  }

  @Test
  void theLinearWriterWritesTheOldBytesWithChecksumsAdded() throws IOException {
    Path dir = tmp.resolve("new");
    Partitioning p = Partitioning.of(3, 2, 2);
    double[][] blocks = new double[2][];
    for (int b = 0; b < 2; b++) {
      double[] rowMajor = new double[p.unitCount(b) * 2];
      for (int r = 0; r < p.unitCount(b); r++) {
        System.arraycopy(W[p.firstUnit(b) + r], 0, rowMajor, 2 * r, 2);
      }
      blocks[b] = LinearModelFiles.transpose(rowMajor, p.unitCount(b), 2); // feature-major
    }
    LinearModelFiles.write(dir, ObjectiveSpec.Model.SOFTMAX, p, new int[] {-1, 2, 5}, 2, 0.001,
        blocks);
    for (Map.Entry<String, String> file : OLD_SOFTMAX_WEIGHTS.entrySet()) {
      assertEquals(file.getValue(), HexFormat.of().formatHex(Files.readAllBytes(
          dir.resolve(file.getKey()))), file.getKey());
    }
    String expected = OLD_SOFTMAX_JSON
        .replace("\"rows\" : 1\n", "\"rows\" : 1,\n    \"sha256\" : \""
            + sha256(OLD_SOFTMAX_WEIGHTS.get("weights-00000.bin")) + "\"\n")
        .replace("\"rows\" : 2\n", "\"rows\" : 2,\n    \"sha256\" : \""
            + sha256(OLD_SOFTMAX_WEIGHTS.get("weights-00001.bin")) + "\"\n");
    assertEquals(expected, Files.readString(dir.resolve("model.json")));
  }

  @Test
  void aNetworkWrittenBeforeChecksumsLoadsAndIsWrittenBackWithThem() throws IOException {
    Path dir = writeOld(tmp.resolve("old"), OLD_NETWORK_JSON, OLD_NETWORK_WEIGHTS);
    NetworkModelFiles.Network n = NetworkModelFiles.read(dir.toString());
    assertArrayEquals(new int[] {2, 1, 2}, n.network().layerSizes());
    assertEquals(Activation.TANH, n.network().hiddenActivation());
    assertEquals(Loss.SOFTMAX_CROSS_ENTROPY, n.network().loss());
    double[] theta = new double[n.network().parameterCount()];
    theta[n.network().weightOffset(0)] = 0.5;
    theta[n.network().weightOffset(0) + 1] = -1.0;
    theta[n.network().biasOffset(0)] = 0.25;
    theta[n.network().weightOffset(1)] = 1.0;
    theta[n.network().weightOffset(1) + 1] = -1.0;
    theta[n.network().biasOffset(1) + 1] = 0.5;
    assertArrayEquals(theta, n.theta(), 0.0);
    // x = (1, 1): h = tanh(0.5 - 1 + 0.25), outputs (h, -h + 0.5), softmax of them.
    double h = Math.tanh(-0.25);
    double p1 = 1 / (1 + Math.exp(h - (-h + 0.5)));
    Prediction p = NetworkScoring.predict(n, 7, SparseFeatures.of(new int[] {1, 2},
        new double[] {1, 1}), 2);
    assertArrayEquals(new int[] {1, 0}, p.topLabels());
    assertEquals(p1, p.probability(), 1e-14);

    Path again = tmp.resolve("again");
    NetworkModelFiles.write(again, n);
    for (Map.Entry<String, String> file : OLD_NETWORK_WEIGHTS.entrySet()) {
      assertEquals(file.getValue(), HexFormat.of().formatHex(Files.readAllBytes(
          again.resolve(file.getKey()))), file.getKey());
    }
    String expected = OLD_NETWORK_JSON;
    for (int l = 0; l < 2; l++) {
      String weights = String.format("layer-%02d-weights.bin", l);
      String bias = String.format("layer-%02d-bias.bin", l);
      expected = expected
          .replace("\"" + weights + "\",\n", "\"" + weights + "\",\n    \"weightsSha256\" : \""
              + sha256(OLD_NETWORK_WEIGHTS.get(weights)) + "\",\n")
          .replace("\"" + bias + "\",\n", "\"" + bias + "\",\n    \"biasSha256\" : \""
              + sha256(OLD_NETWORK_WEIGHTS.get(bias)) + "\",\n");
    }
    assertEquals(expected, Files.readString(again.resolve("model.json")));
  }
}
