package org.lbfgsbeam.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.lbfgsbeam.core.Checks;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST DATABASE of handwritten
 * digits"; Xiao, Rasul, Vollgraf, "Fashion-MNIST", arXiv:1708.07747) into a {@link SparseDataset}.
 *
 * <p>An IDX file is a big-endian header followed by the data, row-major:
 * <pre>
 * images:  int32 0x00000803 (unsigned bytes, 3 dimensions), int32 N, int32 rows, int32 cols,
 *          then N&times;rows&times;cols uint8 pixels
 * labels:  int32 0x00000801 (unsigned bytes, 1 dimension), int32 N, then N uint8 labels
 * </pre>
 * Either file may be gzipped (detected by the gzip magic {@code 1f 8b}, whatever the name), as the
 * files are distributed.
 *
 * <p>The dataset: pixel p (0-based, row-major) of an image is feature p + 1 in LIBSVM's 1-based
 * numbering, so column p; its value is pixel/255, in [0, 1]. Zero pixels are not stored. D is
 * rows&times;cols, fixed by the header (not the largest nonzero pixel, unlike LIBSVM), so a training
 * set and a test set of the same image size always agree on D. The classes are the distinct labels
 * in ascending order, as for LIBSVM: for the ten digits 0..9, class c is label c.
 *
 * <p>The labels file is named explicitly, or found beside the images by the standard naming
 * ({@link #labelsBeside}). Every problem is an {@link InputFormatException} naming the file and the
 * reason: a wrong magic number, a file shorter than its header promises (truncated), bytes after the
 * data, or a different number of labels than images.
 */
public final class IdxReader {
  /** Magic of an images file: unsigned bytes, 3 dimensions. */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic of a labels file: unsigned bytes, 1 dimension. */
  public static final int LABELS_MAGIC = 0x00000801;
  private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
  private static final double[] SCALED = new double[256];

  static {
    for (int v = 0; v < 256; v++) {
      SCALED[v] = v / 255.0;
    }
  }

  private IdxReader() {}

  /**
   * Reads an images file and the labels file found beside it ({@link #labelsBeside}).
   *
   * @throws InputFormatException if no labels file is found, or either file breaks the format
   */
  public static SparseDataset read(Path images) throws IOException {
    Checks.checkArgument(images != null, "images must not be null");
    Images pixels = readImages(images); // first: a labels file given as images is named as such
    return combine(images, pixels, labelsBeside(images));
  }

  /**
   * Reads an images file and its labels file.
   *
   * @throws InputFormatException naming the file if either breaks the format (see the class
   *     comment), or if the two hold different numbers of examples
   * @throws IOException if a file cannot be read
   */
  public static SparseDataset read(Path images, Path labels) throws IOException {
    Checks.checkArgument(images != null, "images must not be null");
    Checks.checkArgument(labels != null, "labels must not be null");
    return combine(images, readImages(images), labels);
  }

  private static SparseDataset combine(Path images, Images pixels, Path labels)
      throws IOException {
    byte[] raw = readLabels(labels);
    if (raw.length != pixels.count()) {
      throw new InputFormatException(labels.toString(), 0, raw.length + " labels, but the images"
          + " file " + images + " holds " + pixels.count() + " images");
    }
    return toDataset(pixels, raw);
  }

  /**
   * The labels file of an images file by the standard naming, in the same directory:
   * {@code …-images-idx3-ubyte[.gz]} &rarr; {@code …-labels-idx1-ubyte[.gz]} (MNIST and Fashion-MNIST
   * as downloaded) and {@code …-images.idx3-ubyte} &rarr; {@code …-labels.idx1-ubyte} (a common
   * unpacked form). The labels are looked for with the images' compression first, then the other.
   *
   * @throws InputFormatException naming the images file if the name follows neither pattern or no
   *     candidate exists
   */
  public static Path labelsBeside(Path images) throws InputFormatException {
    Checks.checkArgument(images != null, "images must not be null");
    String name = images.getFileName().toString();
    String labels = null;
    for (String[] pattern : new String[][] {
        {"images-idx3-ubyte", "labels-idx1-ubyte"}, {"images.idx3-ubyte", "labels.idx1-ubyte"}}) {
      int at = name.lastIndexOf(pattern[0]);
      if (at >= 0) {
        labels = name.substring(0, at) + pattern[1] + name.substring(at + pattern[0].length());
        break;
      }
    }
    if (labels == null) {
      throw new InputFormatException(images.toString(), 0, "cannot tell the labels file from the"
          + " name (expected ...-images-idx3-ubyte[.gz] or ...-images.idx3-ubyte); name the labels"
          + " file explicitly");
    }
    String other = labels.endsWith(".gz") ? labels.substring(0, labels.length() - 3)
        : labels + ".gz";
    List<Path> tried = new ArrayList<>();
    for (String candidate : new String[] {labels, other}) {
      Path p = images.resolveSibling(candidate);
      if (Files.isRegularFile(p)) {
        return p;
      }
      tried.add(p);
    }
    throw new InputFormatException(images.toString(), 0, "no labels file beside it (looked for "
        + tried.get(0) + " and " + tried.get(1) + "); name the labels file explicitly");
  }

  /**
   * Whether {@code file} starts (after gunzipping) with two zero bytes, as every IDX magic number
   * does and no LIBSVM text can. An empty file is not IDX.
   */
  public static boolean looksLikeIdx(Path file) throws IOException {
    Checks.checkArgument(file != null, "file must not be null");
    try (InputStream in = open(file)) {
      return in.read() == 0 && in.read() == 0;
    } catch (ZipException | EOFException e) {
      return false; // a damaged gzip file: let the reader it goes to report it
    }
  }

  /**
   * Opens {@code file} for reading, through a gunzip stream when it starts with the gzip magic
   * {@code 1f 8b}.
   */
  public static InputStream open(Path file) throws IOException {
    Checks.checkArgument(file != null, "file must not be null");
    BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      }
      return in;
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** The pixels of an images file: {@code count} images of rows&times;cols bytes, row-major. */
  private record Images(int count, int rows, int cols, byte[] pixels) {}

  private static Images readImages(Path file) throws IOException {
    String source = file.toString();
    try (InputStream stream = open(file)) {
      DataInputStream in = new DataInputStream(stream);
      int magic = readHeaderInt(in, source, "the magic number");
      if (magic != IMAGES_MAGIC) {
        throw new InputFormatException(source, 0, String.format("not an IDX images file: magic"
            + " number 0x%08x, expected 0x%08x (unsigned bytes, 3 dimensions)%s", magic,
            IMAGES_MAGIC, magic == LABELS_MAGIC ? "; this is a labels file, name the images file"
                : ""));
      }
      int count = readHeaderInt(in, source, "the number of images");
      int rows = readHeaderInt(in, source, "the number of rows");
      int cols = readHeaderInt(in, source, "the number of columns");
      if (count < 1 || rows < 1 || cols < 1) {
        throw new InputFormatException(source, 0, "header gives " + count + " images of " + rows
            + "x" + cols + " pixels; all three must be positive");
      }
      long total = (long) count * rows * cols;
      if (total > MAX_ARRAY_LENGTH) {
        throw new InputFormatException(source, 0, "header gives " + count + " images of " + rows
            + "x" + cols + " pixels: " + total + " bytes, more than this reader holds ("
            + MAX_ARRAY_LENGTH + ")");
      }
      byte[] pixels = readBody(in, source, (int) total,
          count + " images of " + rows + "x" + cols + " pixels");
      return new Images(count, rows, cols, pixels);
    } catch (ZipException | EOFException e) {
      throw corrupt(source, e);
    }
  }

  private static byte[] readLabels(Path file) throws IOException {
    String source = file.toString();
    try (InputStream stream = open(file)) {
      DataInputStream in = new DataInputStream(stream);
      int magic = readHeaderInt(in, source, "the magic number");
      if (magic != LABELS_MAGIC) {
        throw new InputFormatException(source, 0, String.format("not an IDX labels file: magic"
            + " number 0x%08x, expected 0x%08x (unsigned bytes, 1 dimension)", magic,
            LABELS_MAGIC));
      }
      int count = readHeaderInt(in, source, "the number of labels");
      if (count < 1) {
        throw new InputFormatException(source, 0, "header gives " + count
            + " labels; it must be positive");
      }
      return readBody(in, source, count, count + " labels");
    } catch (ZipException | EOFException e) {
      throw corrupt(source, e);
    }
  }

  private static int readHeaderInt(DataInputStream in, String source, String what)
      throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new InputFormatException(source, 0, "truncated: the file ends inside its header,"
          + " before " + what);
    }
  }

  /** Reads exactly {@code length} bytes and checks that nothing follows them. */
  private static byte[] readBody(InputStream in, String source, int length, String promised)
      throws IOException {
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new InputFormatException(source, 0, "truncated: the header promises " + promised + " ("
          + length + " bytes after the header), but only " + body.length + " follow");
    }
    if (in.read() != -1) {
      throw new InputFormatException(source, 0, "unexpected bytes after the " + promised
          + " the header promises");
    }
    return body;
  }

  private static InputFormatException corrupt(String source, IOException e) {
    return new InputFormatException(source, 0, "truncated or corrupt gzip data ("
        + e.getMessage() + ")");
  }

  private static SparseDataset toDataset(Images images, byte[] rawLabels) {
    int n = images.count();
    int d = images.rows() * images.cols();
    byte[] pixels = images.pixels();
    int nnz = 0;
    for (byte p : pixels) {
      if (p != 0) {
        nnz++;
      }
    }
    int[] rowOffsets = new int[n + 1];
    int[] columns = new int[nnz];
    double[] values = new double[nnz];
    int k = 0;
    for (int i = 0; i < n; i++) {
      int base = i * d;
      for (int j = 0; j < d; j++) {
        int v = pixels[base + j] & 0xff;
        if (v != 0) {
          columns[k] = j;
          values[k] = SCALED[v];
          k++;
        }
      }
      rowOffsets[i + 1] = k;
    }
    boolean[] present = new boolean[256];
    for (byte l : rawLabels) {
      present[l & 0xff] = true;
    }
    int[] classOf = new int[256];
    int classes = 0;
    for (int l = 0; l < 256; l++) {
      if (present[l]) {
        classOf[l] = classes++;
      }
    }
    int[] classLabels = new int[classes];
    for (int l = 0; l < 256; l++) {
      if (present[l]) {
        classLabels[classOf[l]] = l;
      }
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = classOf[rawLabels[i] & 0xff];
    }
    return new SparseDataset(d, classLabels, rowOffsets, columns, values, labels);
  }
}
