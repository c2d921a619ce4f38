package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes softmax model directories for tests in the documented format of {@link LinearModelFiles}
 * (model.json + one little-endian {@code LBFGSWT1} weights file per class block), with its own code,
 * so that the reader under test is checked against the format, not against itself.
 */
final class SoftmaxModelDirs {
  private SoftmaxModelDirs() {}

  /**
   * Writes W (K&times;D, row per class) split into consecutive class blocks of {@code blockRows}
   * rows each, with {@code labels} as the classes' original labels.
   */
  static Path write(Path dir, int[] labels, double[][] w, int... blockRows) throws IOException {
    Files.createDirectories(dir);
    int d = w[0].length;
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode json = mapper.createObjectNode();
    json.put("format", "lbfgs-beam-model/1");
    json.put("model", "softmax");
    json.put("classes", labels.length);
    json.put("features", d);
    ArrayNode labelArray = json.putArray("labels");
    for (int l : labels) {
      labelArray.add(l);
    }
    json.put("lambda", 1e-4);
    ArrayNode blocks = json.putArray("blocks");
    int first = 0;
    for (int b = 0; b < blockRows.length; b++) {
      String file = String.format("weights-%05d.bin", b);
      ByteBuffer bytes = ByteBuffer.allocate(24 + 8 * blockRows[b] * d)
          .order(ByteOrder.LITTLE_ENDIAN);
      bytes.put("LBFGSWT1".getBytes(StandardCharsets.US_ASCII)).putLong(blockRows[b]).putLong(d);
      for (int r = 0; r < blockRows[b]; r++) {
        for (int j = 0; j < d; j++) {
          bytes.putDouble(w[first + r][j]);
        }
      }
      try (OutputStream out = Files.newOutputStream(dir.resolve(file))) {
        out.write(bytes.array());
      }
      ObjectNode entry = blocks.addObject();
      entry.put("file", file);
      entry.put("firstRow", first);
      entry.put("rows", blockRows[b]);
      first += blockRows[b];
    }
    if (first != labels.length) {
      throw new IllegalArgumentException("blocks cover " + first + " of " + labels.length);
    }
    mapper.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), json);
    return dir;
  }

  /** A K&times;D matrix of weights uniform in (-2, 2). */
  static double[][] randomWeights(long seed, int k, int d) {
    Random random = new Random(seed);
    double[][] w = new double[k][d];
    for (double[] row : w) {
      for (int j = 0; j < d; j++) {
        row[j] = 4 * random.nextDouble() - 2;
      }
    }
    return w;
  }

  /**
   * Adds to each block of {@code model.json} the {@code sha256} of its file as it is now on disk
   * (computed here, not by the reader under test), as {@code train} writes it.
   */
  static void addChecksums(Path dir) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    Path file = dir.resolve("model.json");
    ObjectNode json = (ObjectNode) mapper.readTree(file.toFile());
    for (com.fasterxml.jackson.databind.JsonNode block : json.get("blocks")) {
      byte[] bytes = Files.readAllBytes(dir.resolve(block.get("file").asText()));
      byte[] digest;
      try {
        digest = java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      StringBuilder hex = new StringBuilder();
      for (byte x : digest) {
        hex.append(String.format("%02x", x & 0xff));
      }
      ((ObjectNode) block).put("sha256", hex.toString());
    }
    mapper.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
  }

  /** Replaces {@code model.json}'s text (for tests of broken descriptions). */
  static void rewriteJson(Path dir, String from, String to) throws IOException {
    Path json = dir.resolve("model.json");
    String text = Files.readString(json);
    if (!text.contains(from)) {
      throw new IllegalArgumentException("model.json has no " + from + ": " + text);
    }
    Files.writeString(json, text.replace(from, to));
  }
}
