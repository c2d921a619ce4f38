package org.lbfgsbeam.pipelines;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lbfgsbeam.core.data.IdxReader;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;

/**
 * Reads a data file in whichever format it is: IDX images (MNIST, Fashion-MNIST; {@link IdxReader})
 * or LIBSVM text ({@link LibsvmReader}), either of them plain or gzipped. The format is told by the
 * content: IDX files start with two zero bytes (their magic number), which LIBSVM text never does.
 */
final class DataFiles {
  private DataFiles() {}

  /**
   * Reads {@code data}.
   *
   * @param labels the IDX labels file, or null to find it beside the images ({@link
   *     IdxReader#labelsBeside}); must be null for LIBSVM, whose labels are inline
   * @throws InputFormatException naming the file and the reason if it breaks its format
   * @throws CommandLine.UsageException if {@code labels} is given for a LIBSVM file
   */
  static SparseDataset read(Path data, Path labels) throws IOException {
    if (Files.isDirectory(data)) {
      throw new InputFormatException(data.toString(), 0, "is a directory, not a data file (give"
          + " a LIBSVM or IDX file)");
    }
    try {
      return readFile(data, labels);
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      // The images or their labels file (given, or the one found beside the images).
      Path other = labels != null ? labels : labelsBesideOrNull(data);
      Path damaged = !isDamagedGzip(data) && other != null && Files.isRegularFile(other)
          && isDamagedGzip(other) ? other : data;
      throw new InputFormatException(damaged.toString(), 0, "not a complete gzip stream (the file"
          + " is truncated or damaged: " + e.getMessage() + "); copy or download it again");
    }
  }

  private static Path labelsBesideOrNull(Path images) {
    try {
      return IdxReader.labelsBeside(images);
    } catch (InputFormatException e) {
      return null; // not IDX images, or no labels beside them
    }
  }

  /** Whether {@code file} is gzip that does not decompress to its end. */
  private static boolean isDamagedGzip(Path file) {
    try (InputStream in = IdxReader.open(file)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static SparseDataset readFile(Path data, Path labels) throws IOException {
    if (IdxReader.looksLikeIdx(data)) {
      return labels == null ? IdxReader.read(data) : IdxReader.read(data, labels);
    }
    if (labels != null) {
      throw new CommandLine.UsageException("--labels is for IDX image files, but " + data
          + " is not one (LIBSVM files carry their labels)");
    }
    try (InputStream in = IdxReader.open(data);
        Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      return LibsvmReader.read(data.toString(), reader);
    }
  }

  /**
   * Refuses a training set whose examples all have one label: a classifier over one class has
   * nothing to tell apart, so its loss is 0 from the start and a run would report "converged" and
   * write a useless model. Checked after reading, before anything is written.
   *
   * @param file the file the labels came from, as the user gave it
   * @param classifier what would be trained, for the message: "a softmax", "a network", ...
   * @throws InputFormatException naming {@code file} and the one label
   */
  static void requireTwoClasses(SparseDataset data, Path file, String classifier)
      throws InputFormatException {
    if (data.numClasses() == 1) {
      throw new InputFormatException(file.toString(), 0, "every example has label "
          + data.classLabels()[0] + ": " + classifier + " over one class learns nothing; give"
          + " data with at least two classes");
    }
  }

  /**
   * {@code data} with its classes re-indexed to a model's and at least {@code features} features: a
   * label the model does not know is an error naming the file; a set with more features than the
   * model keeps them, and scoring ignores the extra ones (a model has no weight for them, which is
   * the same as a weight of 0).
   *
   * @throws InputFormatException naming {@code file} if an example's label is not among {@code
   *     classLabels}
   */
  static SparseDataset alignTo(SparseDataset data, int[] classLabels, int features, Path file)
      throws InputFormatException {
    SparseDataset aligned;
    try {
      aligned = data.withClassLabels(classLabels.clone());
    } catch (IllegalArgumentException e) {
      throw new InputFormatException(file.toString(), 0, e.getMessage()
          .replace("training class labels", "model's class labels"));
    }
    return aligned.numFeatures() < features ? aligned.withNumFeatures(features) : aligned;
  }
}
