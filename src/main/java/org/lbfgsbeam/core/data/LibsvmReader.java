package org.lbfgsbeam.core.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.lbfgsbeam.core.Checks;

/**
 * Reads a LIBSVM / SVMlight text file into a {@link SparseDataset}.
 *
 * <p>Format, one example per line:
 *
 * <pre>
 * line    := labels ( blank+ qid )? ( blank+ index ':' value )* blank* ( '#' comment )?
 * labels  := label ( blank* ',' blank* label )*
 * qid     := 'qid:' integer
 * blank   := ' ' | '\t' | '\r' | '\f' | '\u000B'
 * </pre>
 *
 * <ul>
 *   <li>A label is an integer, optionally signed ({@code "+1"}, {@code "-1"}); an integral decimal
 *       such as {@code "2.0"} or {@code "1e3"} is accepted too. A multi-label line ({@code
 *       "545,32 8:1"}, or LSHTC's {@code "545, 32 8:1"}) keeps its <em>first</em> label, as
 *       Najafabadi et al. (2017) did for wikipedia-medium; the others are checked but dropped.
 *   <li>SVMlight's query id, {@code qid:<integer>} right after the label(s) (an optionally signed
 *       decimal integer of up to 18 digits, e.g. {@code "3 qid:12 1:0.5"}), is read and ignored:
 *       it groups examples for ranking losses, which this project does not train, and SVMlight's
 *       own classifiers and scikit-learn's {@code load_svmlight_file} (without {@code
 *       query_id=True}) ignore it too. A malformed one ({@code qid:x}, {@code qid:}) or a second
 *       or misplaced one is an error.
 *   <li>A feature index is a 1-based decimal integer up to {@link Integer#MAX_VALUE}; indices are
 *       strictly ascending within a line. File index {@code j} becomes column {@code j-1}.
 *   <li>A value is a finite decimal floating-point number as {@link Double#parseDouble} reads it,
 *       without Java's {@code d}/{@code f} suffixes; {@code nan}, {@code inf}, {@code Infinity} and
 *       overflowing values such as {@code 1e400} are rejected.
 *   <li>{@code #} starts a comment that runs to the end of the line. Blank and comment-only lines
 *       are skipped (but counted, so error line numbers match an editor's). Lines end with LF or
 *       CRLF; a UTF-8 byte-order mark is skipped.
 *   <li>A line with a label and no features is an example whose row is empty.
 * </ul>
 *
 * <p>The classes are the distinct labels in ascending order: labels {@code 5, -1, 3} give {@code
 * classLabels = [-1, 3, 5]}, and an example labelled 3 has class 1. D is the largest feature index
 * in the file; the dataset remembers the line of the first example that holds it ({@link
 * SparseDataset#largestIndexLine()}), so that a run can point at an index far beyond the others. A
 * file without examples is an error.
 *
 * <p>Every format error is an {@link InputFormatException} giving the 1-based line and a reason
 * that quotes the offending text, such as {@code "bad label 'abc'"}, {@code "feature index 5 not
 * ascending after 7"} or {@code "non-finite value 'nan' for feature 3"}.
 *
 * <p>Speed: a hand-written tokenizer over a char buffer with growable primitive arrays; values with
 * at most 18 significant digits and a decimal exponent within &plusmn;22 (nearly all real data)
 * are converted exactly by Clinger's fast path, one IEEE multiply or divide of two exactly
 * representable doubles, so the result is bit-identical to {@link Double#parseDouble}; other
 * values fall back to it.
 */
public final class LibsvmReader {
  private static final int BUFFER_CHARS = 1 << 16;
  private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
  private static final int MAX_QUOTED_CHARS = 80;
  private static final long MAX_EXACT_MANTISSA = 1L << 53;
  private static final int MAX_FAST_DIGITS = 18;
  private static final double[] POWERS_OF_TEN = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  private final String source;
  private final boolean emptyAllowed;
  private long lineNumber;
  private int numExamples;
  private int[] rawLabels = new int[1024];
  private int[] rowOffsets = new int[1025];
  private int nnz;
  private int[] columns = new int[1 << 14];
  private double[] values = new double[1 << 14];
  private int maxIndex;
  private long maxIndexLine;

  private LibsvmReader(String source, boolean emptyAllowed) {
    this.source = source;
    this.emptyAllowed = emptyAllowed;
  }

  /**
   * Reads a UTF-8 (or ASCII) LIBSVM file; errors name the file by {@code file.toString()}.
   *
   * @throws InputFormatException if the text does not follow the format (see the class comment)
   * @throws IOException if the file cannot be read
   */
  public static SparseDataset read(Path file) throws IOException {
    Checks.checkArgument(file != null, "file must not be null");
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(file.toString(), reader);
    }
  }

  /**
   * Reads LIBSVM text to the end of {@code reader}, which is not closed.
   *
   * @param sourceName names the input in error messages, e.g. a file name
   * @throws InputFormatException if the text does not follow the format (see the class comment)
   * @throws IOException if {@code reader} fails
   */
  public static SparseDataset read(String sourceName, Reader reader) throws IOException {
    Checks.checkArgument(sourceName != null, "sourceName must not be null");
    Checks.checkArgument(reader != null, "reader must not be null");
    return new LibsvmReader(sourceName, false).parse(reader);
  }

  /**
   * Reads one shard of a set written as several files (such as Beam's {@code TextIO} shards):
   * the same as {@link #read(String, Reader)}, except that a shard without examples is the empty
   * set (N = 0, D = 0, K = 0) rather than an error, since a sharded writer may leave some shards
   * empty. Its classes are its own labels; {@link SparseDataset#concatenate} merges the shards'
   * classes into those the concatenated file would have.
   *
   * @param sourceName names the shard in error messages, whose line numbers are the shard's own
   * @throws InputFormatException if the text does not follow the format (see the class comment)
   * @throws IOException if {@code reader} fails
   */
  public static SparseDataset readShard(String sourceName, Reader reader) throws IOException {
    Checks.checkArgument(sourceName != null, "sourceName must not be null");
    Checks.checkArgument(reader != null, "reader must not be null");
    return new LibsvmReader(sourceName, true).parse(reader);
  }

  private SparseDataset parse(Reader reader) throws IOException {
    char[] buf = new char[BUFFER_CHARS];
    int start = 0; // first char of the current line
    int scan = 0; // chars in [start, scan) hold no '\n'
    int limit = 0; // chars in [0, limit) are valid
    boolean eof = false;
    boolean atFileStart = true;
    while (true) {
      int newline = -1;
      for (int k = scan; k < limit; k++) {
        if (buf[k] == '\n') {
          newline = k;
          break;
        }
      }
      if (newline >= 0) {
        lineNumber++;
        parseLine(buf, start, newline);
        start = newline + 1;
        scan = start;
        continue;
      }
      scan = limit;
      if (eof) {
        if (start < limit) {
          lineNumber++;
          parseLine(buf, start, limit);
        }
        break;
      }
      if (start > 0) {
        int carried = limit - start;
        System.arraycopy(buf, start, buf, 0, carried);
        limit = carried;
        scan = carried;
        start = 0;
      }
      if (limit == buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(MAX_ARRAY_LENGTH, 2L * buf.length));
      }
      int read = reader.read(buf, limit, buf.length - limit);
      if (read < 0) {
        eof = true;
      } else {
        limit += read;
      }
      if (atFileStart && limit > 0) {
        atFileStart = false;
        if (buf[0] == '\uFEFF') {
          start = 1;
          scan = Math.max(scan, 1);
        }
      }
    }
    return build();
  }

  /** Parses one line, buf[p, end), without its '\n'. */
  private void parseLine(char[] buf, int p, int end) throws InputFormatException {
    int i = skipBlanks(buf, p, end);
    if (i == end || buf[i] == '#') {
      return;
    }
    int label = 0;
    boolean firstLabel = true;
    while (true) {
      int s = i;
      while (i < end && buf[i] != ',' && buf[i] != '#' && !isBlank(buf[i])) {
        i++;
      }
      int parsed = parseLabel(buf, s, i);
      if (firstLabel) {
        label = parsed;
        firstLabel = false;
      }
      int next = skipBlanks(buf, i, end);
      if (next < end && buf[next] == ',') {
        i = skipBlanks(buf, next + 1, end);
        continue;
      }
      i = next;
      break;
    }

    i = skipQueryId(buf, i, end);
    int previous = 0;
    while (true) {
      i = skipBlanks(buf, i, end);
      if (i == end || buf[i] == '#') {
        break;
      }
      int s = i;
      int colon = -1;
      while (i < end) {
        char c = buf[i];
        if (c == ':') {
          if (colon < 0) {
            colon = i;
          }
        } else if (c == '#' || isBlank(c)) {
          break;
        }
        i++;
      }
      if (colon < 0) {
        throw error("bad token '" + quote(buf, s, i) + "': expected index:value");
      }
      int index = parseIndex(buf, s, colon);
      if (index < 0) {
        if (isQid(buf, s, colon)) {
          throw error("misplaced '" + quote(buf, s, i)
              + "': qid comes once, right after the label");
        }
        throw error("bad feature index '" + quote(buf, s, colon) + "'");
      }
      if (index == 0) {
        throw error("feature index 0 (indices are 1-based)");
      }
      if (index <= previous) {
        throw error("feature index " + index + " not ascending after " + previous);
      }
      double value = parseValue(buf, colon + 1, i, index);
      if (nnz == columns.length) {
        growNonzeros();
      }
      columns[nnz] = index - 1;
      values[nnz] = value;
      nnz++;
      previous = index;
    }
    if (previous > maxIndex) {
      maxIndex = previous;
      maxIndexLine = lineNumber;
    }
    if (numExamples == rawLabels.length) {
      growExamples();
    }
    rawLabels[numExamples] = label;
    numExamples++;
    rowOffsets[numExamples] = nnz;
  }

  private SparseDataset build() throws InputFormatException {
    if (numExamples == 0 && !emptyAllowed) {
      throw new InputFormatException(source, 0, "empty file: no examples");
    }
    int[] labels = Arrays.copyOf(rawLabels, numExamples);
    int[] sorted = labels.clone();
    Arrays.sort(sorted);
    int numClasses = 0;
    for (int i = 0; i < sorted.length; i++) {
      if (i == 0 || sorted[i] != sorted[i - 1]) {
        sorted[numClasses++] = sorted[i];
      }
    }
    int[] classLabels = Arrays.copyOf(sorted, numClasses);
    for (int i = 0; i < labels.length; i++) {
      labels[i] = Arrays.binarySearch(classLabels, labels[i]);
    }
    return new SparseDataset(maxIndex, classLabels, Arrays.copyOf(rowOffsets, numExamples + 1),
        trim(columns, nnz), trim(values, nnz), labels, maxIndexLine);
  }

  /**
   * Skips an SVMlight query id {@code qid:<integer>} at buf[i] (after blanks), checking its form;
   * returns where the features start. Anything else is left for the feature loop.
   */
  private int skipQueryId(char[] buf, int i, int end) throws InputFormatException {
    int s = skipBlanks(buf, i, end);
    int colon = s + 3;
    if (colon >= end || buf[colon] != ':' || !isQid(buf, s, colon)) {
      return i;
    }
    int e = colon + 1;
    while (e < end && buf[e] != '#' && !isBlank(buf[e])) {
      e++;
    }
    int d = colon + 1;
    if (d < e && (buf[d] == '+' || buf[d] == '-')) {
      d++;
    }
    boolean integer = d < e && e - d <= 18;
    for (int k = d; k < e && integer; k++) {
      integer = buf[k] >= '0' && buf[k] <= '9';
    }
    if (!integer) {
      throw error("bad query id '" + quote(buf, s, e) + "': expected qid:<integer>");
    }
    return e;
  }

  /** Whether buf[s, e) is "qid". */
  private static boolean isQid(char[] buf, int s, int e) {
    return e - s == 3 && buf[s] == 'q' && buf[s + 1] == 'i' && buf[s + 2] == 'd';
  }

  /** Parses an integer label, or an integral decimal; buf[s, e) holds no blank, ',' or '#'. */
  private int parseLabel(char[] buf, int s, int e) throws InputFormatException {
    int i = s;
    boolean negative = false;
    if (i < e && (buf[i] == '+' || buf[i] == '-')) {
      negative = buf[i] == '-';
      i++;
    }
    if (i < e && e - i <= 10) {
      long magnitude = 0;
      while (i < e && buf[i] >= '0' && buf[i] <= '9') {
        magnitude = 10 * magnitude + (buf[i] - '0');
        i++;
      }
      long label = negative ? -magnitude : magnitude;
      if (i == e && label >= Integer.MIN_VALUE && label <= Integer.MAX_VALUE) {
        return (int) label;
      }
    }
    String text = new String(buf, s, e - s);
    double value = parseJavaDouble(text);
    if (Double.isFinite(value) && value == Math.rint(value)
        && value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
      return (int) value;
    }
    throw error("bad label '" + quote(text) + "'");
  }

  /** The 1-based feature index in buf[s, e); -1 unless it is a decimal integer fitting an int. */
  private static int parseIndex(char[] buf, int s, int e) {
    if (s == e || e - s > 10) {
      return -1;
    }
    long index = 0;
    for (int i = s; i < e; i++) {
      char c = buf[i];
      if (c < '0' || c > '9') {
        return -1;
      }
      index = 10 * index + (c - '0');
    }
    return index <= Integer.MAX_VALUE ? (int) index : -1;
  }

  /** Parses the finite value in buf[s, e) of feature {@code index} (1-based, for messages). */
  private double parseValue(char[] buf, int s, int e, int index) throws InputFormatException {
    // Clinger's fast path: [sign] digits [. digits] [e|E [sign] digits] with a mantissa m < 2^53
    // and decimal exponent q in [-22, 22]; m and 10^|q| are exact doubles, so m * 10^q or
    // m / 10^-q is one correctly rounded IEEE operation, equal to Double.parseDouble's result.
    int i = s;
    boolean negative = false;
    if (i < e && (buf[i] == '+' || buf[i] == '-')) {
      negative = buf[i] == '-';
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int exponent = 0;
    boolean anyDigit = false;
    boolean exact = true;
    while (i < e && buf[i] >= '0' && buf[i] <= '9') {
      int d = buf[i] - '0';
      anyDigit = true;
      if (mantissa != 0 || d != 0) {
        if (digits == MAX_FAST_DIGITS) {
          exact = false;
        }
        mantissa = 10 * mantissa + d;
        digits++;
      }
      i++;
    }
    if (i < e && buf[i] == '.') {
      i++;
      while (i < e && buf[i] >= '0' && buf[i] <= '9') {
        int d = buf[i] - '0';
        anyDigit = true;
        if (mantissa != 0 || d != 0) {
          if (digits == MAX_FAST_DIGITS) {
            exact = false;
          }
          mantissa = 10 * mantissa + d;
          digits++;
        }
        exponent--;
        i++;
      }
    }
    if (anyDigit && i < e && (buf[i] == 'e' || buf[i] == 'E')) {
      i++;
      boolean negativeExponent = false;
      if (i < e && (buf[i] == '+' || buf[i] == '-')) {
        negativeExponent = buf[i] == '-';
        i++;
      }
      int expStart = i;
      int explicit = 0;
      while (i < e && buf[i] >= '0' && buf[i] <= '9') {
        if (explicit < 100_000) {
          explicit = 10 * explicit + (buf[i] - '0');
        }
        i++;
      }
      if (i == expStart) {
        exact = false; // "1e": let the fallback reject it
      }
      exponent += negativeExponent ? -explicit : explicit;
    }
    if (exact && anyDigit && i == e) {
      if (mantissa == 0) {
        return negative ? -0.0 : 0.0;
      }
      if (mantissa <= MAX_EXACT_MANTISSA && exponent >= -22 && exponent <= 22) {
        double v = exponent >= 0
            ? mantissa * POWERS_OF_TEN[exponent]
            : mantissa / POWERS_OF_TEN[-exponent];
        return negative ? -v : v;
      }
    }
    String text = new String(buf, s, e - s);
    if (isNonFiniteName(text)) {
      throw error("non-finite value '" + quote(text) + "' for feature " + index);
    }
    double value = parseJavaDouble(text);
    if (Double.isNaN(value)) { // "NaN" itself was caught above: this text is not a number
      throw error("bad value '" + quote(text) + "'");
    }
    if (Double.isInfinite(value)) { // overflow, e.g. 1e400
      throw error("non-finite value '" + quote(text) + "' for feature " + index);
    }
    return value;
  }

  /**
   * {@link Double#parseDouble}, minus its leniencies (surrounding control characters, the {@code
   * d}/{@code f} type suffixes); NaN when the text is not a number.
   */
  private static double parseJavaDouble(String text) {
    if (text.isEmpty()) {
      return Double.NaN;
    }
    char last = text.charAt(text.length() - 1);
    if (last == 'd' || last == 'D' || last == 'f' || last == 'F') {
      return Double.NaN;
    }
    for (int k = 0; k < text.length(); k++) {
      if (text.charAt(k) <= ' ') {
        return Double.NaN;
      }
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** nan, inf or infinity in any case, optionally signed: the C library's names for non-finite. */
  private static boolean isNonFiniteName(String text) {
    String t = text.startsWith("+") || text.startsWith("-") ? text.substring(1) : text;
    return t.equalsIgnoreCase("nan") || t.equalsIgnoreCase("inf")
        || t.equalsIgnoreCase("infinity");
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\u000B';
  }

  private static int skipBlanks(char[] buf, int i, int end) {
    while (i < end && isBlank(buf[i])) {
      i++;
    }
    return i;
  }

  private void growNonzeros() throws InputFormatException {
    if (nnz == MAX_ARRAY_LENGTH) {
      throw error("too many nonzeros: more than " + MAX_ARRAY_LENGTH);
    }
    int capacity = (int) Math.min(MAX_ARRAY_LENGTH, 2L * columns.length);
    columns = Arrays.copyOf(columns, capacity);
    values = Arrays.copyOf(values, capacity);
  }

  private void growExamples() throws InputFormatException {
    if (numExamples == MAX_ARRAY_LENGTH - 1) {
      throw error("too many examples: more than " + (MAX_ARRAY_LENGTH - 1));
    }
    int capacity = (int) Math.min(MAX_ARRAY_LENGTH - 1, 2L * rawLabels.length);
    rawLabels = Arrays.copyOf(rawLabels, capacity);
    rowOffsets = Arrays.copyOf(rowOffsets, capacity + 1);
  }

  private InputFormatException error(String reason) {
    return new InputFormatException(source, lineNumber, reason);
  }

  private static int[] trim(int[] a, int length) {
    return a.length == length ? a : Arrays.copyOf(a, length);
  }

  private static double[] trim(double[] a, int length) {
    return a.length == length ? a : Arrays.copyOf(a, length);
  }

  private static String quote(char[] buf, int s, int e) {
    return quote(new String(buf, s, Math.min(e - s, MAX_QUOTED_CHARS + 1)));
  }

  /** The text, cut to {@value #MAX_QUOTED_CHARS} characters so one bad token can't flood a log. */
  private static String quote(String text) {
    return text.length() <= MAX_QUOTED_CHARS ? text : text.substring(0, MAX_QUOTED_CHARS) + "...";
  }
}
