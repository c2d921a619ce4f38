package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.IntFunction;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.lbfgsbeam.core.data.InputFormatException;

/**
 * What every model directory that {@code train} writes has in common, whatever the model: a
 * {@code model.json} ({@code format} {@value #FORMAT}, {@code model}, the rest per kind, see
 * {@link LinearModelFiles} and {@link NetworkModelFiles}) and weights files.
 *
 * <table>
 *   <caption>Weights file, little-endian</caption>
 *   <tr><th>bytes</th><th>content</th></tr>
 *   <tr><td>8</td><td>magic {@code LBFGSWT1}</td></tr>
 *   <tr><td>8</td><td>int64 rows R</td></tr>
 *   <tr><td>8</td><td>int64 columns C</td></tr>
 *   <tr><td>8RC</td><td>float64 weights, row-major</td></tr>
 * </table>
 * The writer returns each file's SHA-256 for model.json; the reader checks every file with
 * {@link WeightsIntegrity}. Models are read through Beam's {@link FileSystems} (local disk, HDFS,
 * GCS, S3: whatever the pipeline's options register; the local file system without any), and
 * written to a local directory ({@code train} writes there).
 *
 * <p>The format has had one version, {@value #FORMAT}. Models written before commit 5ae159a lack the
 * SHA-256 fields; they are read, with lengths and finiteness checked.
 */
public final class ModelFormat {
  /** The {@code format} value of model.json. */
  public static final String FORMAT = "lbfgs-beam-model/1";
  /** The name of the description file in a model directory. */
  public static final String MODEL_JSON = "model.json";

  private static final byte[] MAGIC = "LBFGSWT1".getBytes(StandardCharsets.US_ASCII);
  private static final int CHUNK = 8192;

  private ModelFormat() {}

  /** The {@code model} of model.json for {@code model}. */
  public static String modelName(ObjectiveSpec.Model model) {
    return switch (model) {
      case SOFTMAX -> "softmax";
      case LOGISTIC -> "logistic";
      case LEAST_SQUARES -> "least-squares";
      case MLP -> NetworkModelFiles.MODEL;
      case BATCHES -> "batches";
    };
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
   * Reads {@code <dir>/model.json} and checks its {@code format}.
   *
   * @throws NoSuchFileException naming model.json if there is none
   * @throws InputFormatException naming model.json if it is not a JSON object of this format
   */
  public static JsonNode readJson(String dir) throws IOException {
    ResourceId file = resolve(dir, MODEL_JSON);
    String name = file.toString();
    JsonNode json;
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)))) {
      json = new ObjectMapper().readTree(in);
    } catch (FileNotFoundException | NoSuchFileException e) {
      NoSuchFileException missing = new NoSuchFileException(name, null, "does not exist");
      missing.initCause(e);
      throw missing;
    } catch (JsonProcessingException e) {
      throw new InputFormatException(name, 0, "not JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new InputFormatException(name, 0, "not a JSON object");
    }
    String format = json.path("format").asText(null);
    if (!FORMAT.equals(format)) {
      throw new InputFormatException(name, 0, "format must be \"" + FORMAT + "\", but was: "
          + format);
    }
    return json;
  }

  /** The {@code model} of {@code <dir>/model.json}, or null if it cannot be read. */
  public static String modelOf(String dir) {
    try {
      return readJson(dir).path("model").asText(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** Writes {@code json} as {@code <dir>/model.json}, pretty-printed. */
  static void writeJson(Path dir, ObjectNode json) throws IOException {
    Path file = dir.resolve(MODEL_JSON);
    try {
      new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
    } catch (IOException e) {
      throw naming(file, e);
    }
  }

  /**
   * Writes one weights file of {@code rows}&times;{@code cols} weights and returns the SHA-256 of
   * exactly the bytes written, as 64 lowercase hex digits.
   *
   * @throws IOException a {@link FileSystemException} naming the file if the write fails (a full
   *     disk's bare "No space left on device" says nothing of where)
   */
  static String writeWeights(Path file, long rows, long cols, double[] rowMajor)
      throws IOException {
    MessageDigest digest = WeightsIntegrity.newDigest();
    try (OutputStream out = new DigestOutputStream(
        new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), digest)) {
      ByteBuffer header = ByteBuffer.allocate(WeightsIntegrity.HEADER_BYTES)
          .order(ByteOrder.LITTLE_ENDIAN);
      header.put(MAGIC).putLong(rows).putLong(cols);
      out.write(header.array());
      ByteBuffer buffer = ByteBuffer.allocate(8 * CHUNK).order(ByteOrder.LITTLE_ENDIAN);
      for (int from = 0; from < rowMajor.length; from += CHUNK) {
        int n = Math.min(CHUNK, rowMajor.length - from);
        buffer.clear();
        buffer.asDoubleBuffer().put(rowMajor, from, n);
        out.write(buffer.array(), 0, n * 8);
      }
    } catch (IOException e) {
      throw naming(file, e);
    }
    return WeightsIntegrity.hex(digest);
  }

  private static IOException naming(Path file, IOException e) {
    if (e instanceof FileSystemException) {
      return e;
    }
    FileSystemException named = new FileSystemException(file.toString(), null, e.getMessage());
    named.initCause(e);
    return named;
  }

  /**
   * Reads the weights file {@code fileName} of the model directory {@code dir}, checked as
   * {@link #readWeights(InputStream, String, int, int, String, IntFunction)} checks it.
   *
   * @param what what the file is, for the message of a missing one ("block 1")
   * @throws NoSuchFileException naming the file if it is missing
   * @throws InputFormatException naming model.json if {@code fileName} is not a plain file name
   */
  static double[] readWeights(String dir, String fileName, String what, int rows, int cols,
      String sha256, IntFunction<String> position) throws IOException {
    if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\")) {
      throw new InputFormatException(resolve(dir, MODEL_JSON).toString(), 0, what
          + ": file must be a file name in the model directory, but was: '" + fileName + "'");
    }
    ResourceId file = resolve(dir, fileName);
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)),
        1 << 16)) {
      return readWeights(in, file.toString(), rows, cols, sha256, position);
    } catch (FileNotFoundException | NoSuchFileException e) {
      NoSuchFileException missing = new NoSuchFileException(file.toString(), null,
          "missing weights file of " + what);
      missing.initCause(e);
      throw missing;
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
   * @throws InputFormatException naming the file if a check fails
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
    byte[] buffer = new byte[8 * Math.max(1, Math.min(w.length, CHUNK))];
    for (int from = 0; from < w.length; from += CHUNK) {
      int n = Math.min(CHUNK, w.length - from);
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
}
