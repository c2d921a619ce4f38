package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.IntFunction;
import org.lbfgsbeam.core.data.InputFormatException;

/**
 * The checks a model's weights file ({@code LBFGSWT1}: 24-byte header, then rows&times;columns
 * float64) must pass when it is read, so that a damaged model is refused naming the file instead of
 * scoring NaN probabilities:
 * <ol>
 *   <li>its length is exactly the 24-byte header plus 8 bytes per weight of the shape model.json
 *       gives ({@link #checkLength});
 *   <li>every weight is finite ({@link #checkFinite}): a model holds no &plusmn;Inf or NaN;
 *   <li>its bytes are the ones {@code train} wrote: the SHA-256 of the whole file, which the writer
 *       puts into model.json beside the file's name ({@link #checkDigest}). A model written before
 *       checksums were recorded has none; it is still read, with lengths and finiteness checked.
 * </ol>
 *
 * <p>Why SHA-256 ({@link MessageDigest}) and not CRC32C: both catch a flipped byte or a truncated
 * copy, and a CRC is faster, but the SHA-256 is what {@code sha256sum weights-00000.bin} prints, so
 * a user can check a copied model with standard tools, and it cannot be matched by accident. Its
 * cost (a few ns per byte) is small next to reading the file and scoring with it.
 *
 * <p>Every refusal is an {@link InputFormatException} whose source is the weights file and whose
 * reason says what is wrong, with the values, and what to do. It is an {@code IOException}, so the
 * readers' DoFns (which may throw {@code IOException}) need not wrap it.
 */
public final class WeightsIntegrity {
  /** The digest algorithm, as {@link MessageDigest} names it. */
  public static final String ALGORITHM = "SHA-256";
  /** The model.json field beside a block's {@code file} holding that file's SHA-256, hex. */
  public static final String BLOCK_FIELD = "sha256";
  /** Bytes before the weights: magic {@code LBFGSWT1}, int64 rows, int64 columns. */
  public static final int HEADER_BYTES = 24;

  private static final int HEX_DIGITS = 64;
  private static final String REMEDY = "; retrain or copy the model again";

  private WeightsIntegrity() {}

  /** A new SHA-256 digest, to be fed exactly the bytes of one weights file. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance(ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has " + ALGORITHM, e);
    }
  }

  /** The digest's value as 64 lowercase hex digits, as model.json holds it; resets the digest. */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * The checksum field {@code field} of a model.json entry, or null when the entry has none (a
   * model written before checksums were recorded).
   *
   * @param source the model.json file, for the message
   * @param where the entry, for the message, e.g. {@code "blocks[1]"}
   * @throws InputFormatException naming model.json if the field is there but not 64 hex digits
   */
  public static String checksumField(JsonNode entry, String field, String source, String where)
      throws InputFormatException {
    JsonNode value = entry.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return null;
    }
    String text = value.isTextual() ? value.asText() : "";
    if (text.length() != HEX_DIGITS || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new InputFormatException(source, 0, where + "." + field + " must be the " + ALGORITHM
          + " of the file, " + HEX_DIGITS + " hex digits, but was: " + value);
    }
    return text.toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The length of a weights file of {@code rows}&times;{@code cols} weights:
   * 24 + 8&middot;rows&middot;cols.
   */
  public static long expectedBytes(long rows, long cols) {
    return HEADER_BYTES + 8 * rows * cols;
  }

  /**
   * Refuses a weights file whose length is not the {@link #expectedBytes} of model.json's shape.
   *
   * @param file the weights file, named in the message
   * @param bytes its length (or, if it ended early, the bytes it had)
   */
  public static void checkLength(String file, long bytes, long rows, long cols)
      throws InputFormatException {
    long expected = expectedBytes(rows, cols);
    if (bytes == expected) {
      return;
    }
    long difference = bytes - expected;
    throw new InputFormatException(file, 0, "damaged model weights: " + Math.abs(difference)
        + " bytes " + (difference > 0 ? "more" : "fewer") + " than the " + rows + " x " + cols
        + " doubles model.json gives (" + bytes + " bytes, not " + HEADER_BYTES + " + 8 x "
        + rows * cols + " = " + expected + ")" + REMEDY);
  }

  /**
   * Refuses the first non-finite weight of a file.
   *
   * @param weights the file's weights in file order
   * @param position says where weight q of the file is in the model, e.g. "(class 2, feature 5)"
   */
  public static void checkFinite(String file, double[] weights, IntFunction<String> position)
      throws InputFormatException {
    for (int q = 0; q < weights.length; q++) {
      if (!Double.isFinite(weights[q])) {
        throw nonFinite(file, q, position.apply(q), weights[q]);
      }
    }
  }

  /**
   * The refusal of weight {@code index} (0-based, in file order) of {@code file}, which is
   * {@code value}, not finite.
   */
  public static InputFormatException nonFinite(String file, long index, String position,
      double value) {
    String shown = Double.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
    return new InputFormatException(file, 0, "weight " + index + " " + position + " is " + shown
        + ", but a model's weights are finite" + REMEDY);
  }

  /**
   * Refuses a file whose bytes do not have the SHA-256 model.json records; does nothing when it
   * records none.
   *
   * @param expected the hex digest from model.json, or null
   * @param digest the digest fed every byte of the file
   */
  public static void checkDigest(String file, String expected, MessageDigest digest)
      throws InputFormatException {
    if (expected == null) {
      return;
    }
    String actual = hex(digest);
    if (!actual.equals(expected)) {
      throw new InputFormatException(file, 0, "damaged model weights: its " + ALGORITHM + " "
          + actual + " does not match model.json's " + expected + REMEDY);
    }
  }

  /**
   * Names weight q of a softmax class block (row-major, {@code features} per row) as
   * "(class c, feature j)", c the model's class index and j W's 0-based column.
   */
  public static IntFunction<String> classAndFeature(int firstClass, int features) {
    return q -> "(class " + (firstClass + q / features) + ", feature " + q % features + ")";
  }
}
