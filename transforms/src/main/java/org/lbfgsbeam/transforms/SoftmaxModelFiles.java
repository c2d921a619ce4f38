package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.lbfgsbeam.core.data.InputFormatException;

/**
 * Reads a trained softmax model, as {@code train} writes it, through Beam's {@link FileSystems} (local
 * disk, HDFS, GCS, S3: whatever the pipeline's options register), block by block so that a model too
 * large for one machine is never read whole.
 *
 * <p>{@code <dir>/model.json}: {@code format} ({@value #FORMAT}), {@code model} ({@code "softmax"}),
 * {@code classes} K, {@code features} D, {@code labels} (the original label of class c at index c,
 * K distinct ints), {@code lambda}, and {@code blocks}: for each class block, in order, its
 * {@code file} (relative to the directory), {@code firstRow}, {@code rows} and {@code sha256} (the
 * SHA-256 of the file's bytes, 64 hex digits; absent in models written before it was recorded). The
 * blocks cover the classes 0..K&minus;1 in order without gaps or overlaps, none empty.
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
 * against {@code model.json}, and every weights file with {@link WeightsIntegrity}: its length, its
 * SHA-256 when model.json has one, and that every weight is finite.
 */
public final class SoftmaxModelFiles {
  /** The {@code format} value of the model files this class reads. */
  public static final String FORMAT = "lbfgs-beam-model/1";
  /** The name of the description file in a model directory. */
  public static final String MODEL_JSON = "model.json";

  private static final byte[] MAGIC = "LBFGSWT1".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  private SoftmaxModelFiles() {}

  /**
   * One class block of a model: rows [firstRow, firstRow + rows) of W, stored in {@code file}.
   *
   * @param sha256 the file's SHA-256 (64 lowercase hex digits) from model.json, or null if the
   *     model was written before checksums were recorded
   */
  public record Block(String file, int firstRow, int rows, String sha256) implements Serializable {
    /** A block whose model.json records no checksum. */
    public Block(String file, int firstRow, int rows) {
      this(file, firstRow, rows, null);
    }
  }

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
      blocks.add(new Block(blockFile, firstRow, rows,
          WeightsIntegrity.checksumField(entry, WeightsIntegrity.BLOCK_FIELD, name,
              "blocks[" + b + "]")));
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
   * @throws IOException naming the file if it is missing; an {@link
   *     org.lbfgsbeam.core.data.InputFormatException} naming it if it is not a weights file, of
   *     another shape or length than {@code model.json} says, holds a non-finite weight, or its
   *     SHA-256 is not the one {@code model.json} records
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
      return readWeights(in, file.toString(), b.rows(), info.features(), b.sha256(),
          WeightsIntegrity.classAndFeature(b.firstRow(), info.features()));
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new IOException("missing weights file " + file + " of block " + block, e);
    }
  }

  /**
   * Reads one weights file of {@code rows}&times;{@code cols} weights, row-major, and checks it:
   * the magic, the header's shape against model.json's, the file's length, that every weight is
   * finite, and its SHA-256 when model.json records one (in that order, so that a weight damaged to
   * +Inf is named as such).
   *
   * @param name the file, named in every message
   * @param sha256 the file's SHA-256 from model.json, or null
   * @param position says where weight q of the file is in the model, for the message
   */
  static double[] readWeights(InputStream in, String name, int rows, int cols, String sha256,
      IntFunction<String> position) throws IOException {
    MessageDigest digest = WeightsIntegrity.newDigest();
    DigestInputStream data = new DigestInputStream(in, digest);
    byte[] header = data.readNBytes(WeightsIntegrity.HEADER_BYTES);
    if (header.length < WeightsIntegrity.HEADER_BYTES) {
      WeightsIntegrity.checkLength(name, header.length, rows, cols); // throws: shorter than any
    }
    ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    h.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new InputFormatException(name, 0, "not a weights file (no LBFGSWT1 magic)");
    }
    long fileRows = h.getLong();
    long fileCols = h.getLong();
    if (fileRows != rows || fileCols != cols) {
      throw new InputFormatException(name, 0, "shape " + fileRows + " x " + fileCols
          + ", but model.json says " + rows + " x " + cols);
    }
    double[] w = new double[rows * cols];
    long bytes = header.length;
    byte[] buffer = new byte[8 * Math.max(1, Math.min(w.length, 8192))];
    for (int from = 0; from < w.length; from += 8192) {
      int n = Math.min(8192, w.length - from);
      int got = data.readNBytes(buffer, 0, 8 * n);
      bytes += got;
      if (got < 8 * n) {
        WeightsIntegrity.checkLength(name, bytes, rows, cols); // throws: the file ended early
      }
      ByteBuffer.wrap(buffer, 0, 8 * n).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer()
          .get(w, from, n);
    }
    bytes += data.transferTo(OutputStream.nullOutputStream()); // counted for the message, digested
    WeightsIntegrity.checkLength(name, bytes, rows, cols);
    WeightsIntegrity.checkFinite(name, w, position);
    WeightsIntegrity.checkDigest(name, sha256, digest);
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
