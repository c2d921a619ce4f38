package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Reads a trained softmax model, as {@code train} writes it, through Beam's {@link FileSystems} (local
 * disk, HDFS, GCS, S3: whatever the pipeline's options register), block by block so that a model too
 * large for one machine is never read whole.
 *
 * <p>{@code <dir>/model.json}: {@code format} ({@value #FORMAT}), {@code model} ({@code "softmax"}),
 * {@code classes} K, {@code features} D, {@code labels} (the original label of class c at index c,
 * K distinct ints), {@code lambda}, and {@code blocks}: for each class block, in order, its
 * {@code file} (relative to the directory), {@code firstRow} and {@code rows}. The blocks cover the
 * classes 0..K&minus;1 in order without gaps or overlaps, none empty.
 *
 * <table>
 *   <caption>Weights file ({@code weights-NNNNN.bin}), little-endian</caption>
 *   <tr><th>bytes</th><th>content</th></tr>
 *   <tr><td>8</td><td>magic {@code LBFGSWT1}</td></tr>
 *   <tr><td>8</td><td>int64 rows R (the block's classes)</td></tr>
 *   <tr><td>8</td><td>int64 columns, D</td></tr>
 *   <tr><td>8RD</td><td>float64 W[firstRow + r][j] at (r, j), row-major</td></tr>
 * </table>
 * This is the layout of {@code pipelines/ModelFiles}; this class only reads it, and checks every shape
 * against {@code model.json}.
 */
public final class SoftmaxModelFiles {
  /** The {@code format} value of the model files this class reads. */
  public static final String FORMAT = "lbfgs-beam-model/1";
  /** The name of the description file in a model directory. */
  public static final String MODEL_JSON = "model.json";

  private static final byte[] MAGIC = "LBFGSWT1".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private SoftmaxModelFiles() {}

  /** One class block of a model: rows [firstRow, firstRow + rows) of W, stored in {@code file}. */
  public record Block(String file, int firstRow, int rows) implements Serializable {}

  /**
   * What {@code model.json} says about a softmax model: small, and serialisable so that DoFns carry it
   * to the workers that read the weights.
   *
   * @param directory the model directory, as given
   * @param labels the original label of each class, int[K]
   * @param features D
   * @param lambda the L2 regularisation the model was trained with
   * @param blocks the class blocks in order
   */
  public record Info(String directory, int[] labels, int features, double lambda,
      List<Block> blocks) implements Serializable {
    public Info {
      labels = labels.clone();
      blocks = List.copyOf(blocks);
    }

    /** K. */
    public int classes() {
      return labels.length;
    }

    /** The label of class {@code c}. */
    public int label(int c) {
      return labels[c];
    }

    /** A copy of the labels; the record's own accessor would expose the array. */
    @Override
    public int[] labels() {
      return labels.clone();
    }

    /** The number of class blocks P. */
    public int blockCount() {
      return blocks.size();
    }

    /** K&middot;D&middot;8: the bytes W takes in memory. */
    public long weightBytes() {
      return 8L * labels.length * features;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Info i && i.directory.equals(directory) && Arrays.equals(i.labels, labels)
          && i.features == features && Double.compare(i.lambda, lambda) == 0
          && i.blocks.equals(blocks);
    }

    @Override
    public int hashCode() {
      return (directory.hashCode() * 31 + Arrays.hashCode(labels)) * 31 + features * 7
          + blocks.hashCode();
    }

    @Override
    public String toString() {
      return "SoftmaxModel{" + directory + ": K=" + labels.length + ", D=" + features + ", "
          + blocks.size() + " blocks}";
    }
  }

  /**
   * The file {@code name} in the model directory {@code dir}; a local directory may be given as a
   * path or as a {@code file:} URI.
   */
  public static ResourceId resolve(String dir, String name) {
    String spec = dir.regionMatches(true, 0, "file:", 0, 5)
        ? java.nio.file.Paths.get(java.net.URI.create(dir)).toString() : dir;
    return FileSystems.matchNewResource(spec, true).resolve(name, StandardResolveOptions.RESOLVE_FILE);
  }

  /**
   * Reads and checks {@code <dir>/model.json}.
   *
   * @throws IOException naming the file if it is missing, not JSON, not a softmax model of this
   *     format, or inconsistent (label count, block coverage)
   */
  public static Info readInfo(String dir) throws IOException {
    ResourceId file = resolve(dir, MODEL_JSON);
    JsonNode json;
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)))) {
      json = new ObjectMapper().readTree(in);
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new IOException("no model at " + dir + ": " + file + " does not exist", e);
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not JSON: " + e.getOriginalMessage(), e);
    }
    String name = file.toString();
    if (json == null || !json.isObject()) {
      throw new IOException(name + ": not a JSON object");
    }
    String format = json.path("format").asText(null);
    if (!FORMAT.equals(format)) {
      throw new IOException(name + ": format must be \"" + FORMAT + "\", but was: " + format);
    }
    String model = json.path("model").asText(null);
    if (!"softmax".equals(model)) {
      throw new IOException(name + ": model must be \"softmax\", but was: " + model);
    }
    int features = positiveInt(json, "features", name);
    JsonNode labelArray = json.path("labels");
    if (!labelArray.isArray() || labelArray.isEmpty()) {
      throw new IOException(name + ": labels must be a non-empty array of ints");
    }
    int[] labels = new int[labelArray.size()];
    for (int c = 0; c < labels.length; c++) {
      JsonNode l = labelArray.get(c);
      if (!l.canConvertToInt() || !l.isIntegralNumber()) {
        throw new IOException(name + ": labels[" + c + "] must be an int, but was: " + l);
      }
      labels[c] = l.asInt();
    }
    int[] sorted = labels.clone();
    Arrays.sort(sorted);
    for (int c = 1; c < sorted.length; c++) {
      if (sorted[c] == sorted[c - 1]) {
        throw new IOException(name + ": label " + sorted[c] + " names two classes");
      }
    }
    if (json.has("classes") && json.get("classes").asLong(-1) != labels.length) {
      throw new IOException(name + ": classes is " + json.get("classes") + " but there are "
          + labels.length + " labels");
    }
    double lambda = json.path("lambda").asDouble(Double.NaN);
    JsonNode blockArray = json.path("blocks");
    if (!blockArray.isArray() || blockArray.isEmpty()) {
      throw new IOException(name + ": blocks must be a non-empty array");
    }
    List<Block> blocks = new ArrayList<>();
    int next = 0;
    for (int b = 0; b < blockArray.size(); b++) {
      JsonNode entry = blockArray.get(b);
      String where = name + ": blocks[" + b + "]";
      String blockFile = entry.path("file").asText("");
      if (blockFile.isEmpty() || blockFile.contains("/") || blockFile.contains("\\")) {
        throw new IOException(where + ": file must be a file name in the model directory, but was: "
            + entry.path("file"));
      }
      int firstRow = nonNegativeInt(entry, "firstRow", where);
      int rows = positiveInt(entry, "rows", where);
      if (firstRow != next) {
        throw new IOException(where + ": firstRow must be " + next
            + " (blocks cover the classes in order), but was: " + firstRow);
      }
      if ((long) rows * features > MAX_ARRAY) {
        throw new IOException(where + ": " + rows + " x " + features
            + " weights are more than one array holds");
      }
      next = firstRow + rows;
      if (next > labels.length) {
        throw new IOException(where + ": rows [" + firstRow + ", " + next + ") go beyond the "
            + labels.length + " classes");
      }
      blocks.add(new Block(blockFile, firstRow, rows));
    }
    if (next != labels.length) {
      throw new IOException(name + ": the blocks cover " + next + " of the " + labels.length
          + " classes");
    }
    return new Info(dir, labels, features, lambda, blocks);
  }

  /**
   * Reads class block {@code block} of the model: W's rows [firstRow, firstRow + rows) as one
   * row-major array of rows&times;D, entry r&middot;D + j = W[firstRow + r][j].
   *
   * @throws IOException naming the file if it is missing, truncated, longer than its shape, not a
   *     weights file, of another shape than {@code model.json} says, or holds a non-finite weight
   */
  public static double[] readBlock(Info info, int block) throws IOException {
    if (block < 0 || block >= info.blockCount()) {
      throw new IllegalArgumentException(String.format(
          "block must be in [0, %s), but was: %s", info.blockCount(), block));
    }
    Block b = info.blocks().get(block);
    ResourceId file = resolve(info.directory(), b.file());
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)),
        1 << 16)) {
      return readWeights(in, file.toString(), b.rows(), info.features());
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new IOException("missing weights file " + file + " of block " + block, e);
    }
  }

  static double[] readWeights(InputStream in, String name, int rows, int cols) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] header = new byte[24];
    try {
      data.readFully(header);
    } catch (EOFException e) {
      throw new IOException(name + ": truncated: no header", e);
    }
    ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    h.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IOException(name + ": not a weights file (no LBFGSWT1 magic)");
    }
    long fileRows = h.getLong();
    long fileCols = h.getLong();
    if (fileRows != rows || fileCols != cols) {
      throw new IOException(name + ": shape " + fileRows + " x " + fileCols + ", but model.json says "
          + rows + " x " + cols);
    }
    double[] w = new double[rows * cols];
    byte[] bytes = new byte[8 * Math.max(1, Math.min(w.length, 8192))];
    for (int from = 0; from < w.length; from += 8192) {
      int n = Math.min(8192, w.length - from);
      try {
        data.readFully(bytes, 0, 8 * n);
      } catch (EOFException e) {
        throw new IOException(name + ": truncated after " + from + " of " + w.length + " weights", e);
      }
      ByteBuffer.wrap(bytes, 0, 8 * n).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer()
          .get(w, from, n);
    }
    if (data.read() >= 0) {
      throw new IOException(name + ": longer than its " + rows + " x " + cols + " weights");
    }
    for (int q = 0; q < w.length; q++) {
      if (!Double.isFinite(w[q])) {
        throw new IOException(name + ": weight (" + q / cols + ", " + q % cols + ") is " + w[q]);
      }
    }
    return w;
  }

  private static int positiveInt(JsonNode node, String field, String where) throws IOException {
    int v = nonNegativeInt(node, field, where);
    if (v == 0) {
      throw new IOException(where + ": " + field + " must be positive, but was: 0");
    }
    return v;
  }

  private static int nonNegativeInt(JsonNode node, String field, String where) throws IOException {
    JsonNode v = node.path(field);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw new IOException(where + ": " + field + " must be a non-negative int, but was: "
          + (v.isMissingNode() ? "missing" : v.toString()));
    }
    return v.asInt();
  }
}
