package org.lbfgsbeam.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import org.lbfgsbeam.core.partition.Partitioning;
import org.lbfgsbeam.transforms.ObjectiveSpec;
import org.lbfgsbeam.transforms.WeightsIntegrity;

/**
 * A trained model on disk, in a language-neutral format: {@code model.json} (what the model is) and
 * one weights file per parameter block, so a model too large for one machine is written and read
 * block by block.
 *
 * <p>{@code model.json}: {@code format} ("lbfgs-beam-model/1"), {@code model} (softmax, logistic,
 * least-squares), {@code classes} K, {@code features} D, {@code labels} (the original label of class
 * c at index c), {@code lambda}, and {@code blocks}: for each block its {@code file},
 * {@code firstRow}, {@code rows} and {@code sha256}, the SHA-256 of exactly the bytes written to
 * the file (64 hex digits, what {@code sha256sum} prints), so that a reader refuses a file damaged
 * or changed since; see {@link WeightsIntegrity} for why SHA-256. Models written before the
 * checksum was recorded lack it and are still read, with their lengths and weights checked.
 *
 * <p>Weights files ({@code weights-NNNNN.bin}, little-endian): magic {@code LBFGSWT1} (8 bytes), int64
 * rows, int64 columns, then rows&times;columns float64 in row-major order. For softmax a row is a class:
 * block b holds rows [firstRow, firstRow+rows) of W (K&times;D), so W[k][j] is entry (k &minus; firstRow,
 * j) of the block holding k. For the linear models W is one row of D features split into column
 * blocks: each file holds 1 row and its block's features, {@code firstRow} then counts features.
 */
final class ModelFiles {
  static final String FORMAT = "lbfgs-beam-model/1";
  private static final byte[] MAGIC = "LBFGSWT1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private ModelFiles() {}

  /**
   * Writes the model into {@code dir} (created; must not exist) from the optimiser's blocks.
   *
   * @param blocks the blocks in the objective's internal layout (softmax: feature-major D&times;K<sub>b</sub>)
   */
  static void write(Path dir, ObjectiveSpec.Model model, Partitioning partitioning, int[] labels,
      int features, double lambda, double[][] blocks) throws IOException {
    Files.createDirectories(dir);
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode json = mapper.createObjectNode();
    json.put("format", FORMAT);
    json.put("model", modelName(model));
    json.put("classes", labels.length);
    json.put("features", features);
    ArrayNode labelArray = json.putArray("labels");
    for (int l : labels) {
      labelArray.add(l);
    }
    json.put("lambda", lambda);
    ArrayNode blockArray = json.putArray("blocks");
    for (int b = 0; b < partitioning.blocks(); b++) {
      String file = String.format("weights-%05d.bin", b);
      int first = partitioning.firstUnit(b);
      int count = partitioning.unitCount(b);
      double[] rowMajor;
      long rows;
      long cols;
      if (model == ObjectiveSpec.Model.SOFTMAX) {
        rows = count;
        cols = features;
        rowMajor = new double[blocks[b].length];
        for (int j = 0; j < features; j++) {
          for (int c = 0; c < count; c++) {
            rowMajor[c * features + j] = blocks[b][j * count + c];
          }
        }
      } else {
        rows = 1;
        cols = count;
        rowMajor = blocks[b];
      }
      String sha256 = writeWeightsFile(dir.resolve(file), rows, cols, rowMajor);
      ObjectNode entry = blockArray.addObject();
      entry.put("file", file);
      entry.put("firstRow", first);
      entry.put("rows", count);
      entry.put(WeightsIntegrity.BLOCK_FIELD, sha256);
    }
    mapper.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), json);
  }

  static String modelName(ObjectiveSpec.Model model) {
    return switch (model) {
      case SOFTMAX -> "softmax";
      case LOGISTIC -> "logistic";
      case LEAST_SQUARES -> "least-squares";
      case MLP -> NetworkModel.NAME;
      case BATCHES -> "batches";
    };
  }

  /**
   * Reads the softmax weights of a model directory as a K&times;D row-major matrix, checked as
   * {@link SavedModel#forEachSoftmaxBlock} checks them.
   */
  static double[][] readSoftmaxWeights(Path dir) throws IOException {
    SavedModel model = SavedModel.open(dir);
    double[][] w = new double[model.classes()][model.features()];
    model.forEachSoftmaxBlock((firstClass, count, featureMajor) -> {
      for (int c = 0; c < count; c++) {
        for (int j = 0; j < w[c].length; j++) {
          w[firstClass + c][j] = featureMajor[j * count + c];
        }
      }
    });
    return w;
  }

  /**
   * Writes one weights file ({@link #writeMatrix}) and returns the SHA-256 of exactly the bytes
   * written, as 64 lowercase hex digits.
   */
  static String writeWeightsFile(Path file, long rows, long cols, double[] rowMajor)
      throws IOException {
    MessageDigest digest = WeightsIntegrity.newDigest();
    try (OutputStream out = new DigestOutputStream(
        new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), digest)) {
      writeMatrix(out, rows, cols, rowMajor);
    } catch (IOException e) {
      throw OutputFiles.naming(file, e);
    }
    return WeightsIntegrity.hex(digest);
  }

  static void writeMatrix(OutputStream out, long rows, long cols, double[] rowMajor)
      throws IOException {
    ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    header.put(MAGIC).putLong(rows).putLong(cols);
    out.write(header.array());
    ByteBuffer buffer = ByteBuffer.allocate(8 * 8192).order(ByteOrder.LITTLE_ENDIAN);
    for (int from = 0; from < rowMajor.length; from += 8192) {
      int n = Math.min(8192, rowMajor.length - from);
      buffer.clear();
      buffer.asDoubleBuffer().put(rowMajor, from, n);
      out.write(buffer.array(), 0, n * 8);
    }
  }

  static double[][] readMatrix(InputStream in, String name) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] header = new byte[24];
    data.readFully(header);
    ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    h.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new IOException(name + ": not a weights file");
    }
    long rows = h.getLong();
    long cols = h.getLong();
    if (rows < 0 || cols < 0 || rows * cols > Integer.MAX_VALUE - 8) {
      throw new IOException(name + ": bad shape " + rows + " x " + cols);
    }
    double[][] out = new double[(int) rows][(int) cols];
    byte[] row = new byte[(int) cols * 8];
    for (int r = 0; r < rows; r++) {
      data.readFully(row);
      ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out[r]);
    }
    return out;
  }
}
