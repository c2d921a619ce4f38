package org.lbfgsbeam.pipelines.data;

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
import org.lbfgsbeam.pipelines.cli.CommandLine;

/**
 * Reads a data argument in whichever format it is: IDX images (MNIST, Fashion-MNIST; {@link
 * IdxReader}) or LIBSVM text ({@link LibsvmReader}), either of them plain or gzipped. The format is
 * told by the content: IDX files start with two zero bytes (their magic number), which LIBSVM text
 * never does.
 *
 * <p>The argument may also name LIBSVM shards, each plain or gzipped: a directory of them or a glob
 * pattern such as {@code 'DIR/part-*'} ({@link DataShards}). The shards are read in parallel, one
 * thread per shard up to the available processors, and their examples follow each other in the
 * order of the shards' names, with the classes and D that the concatenated file would have ({@link
 * SparseDataset#concatenate}): a run over the shards has the bits of a run over that file. An
 * error names the shard and the line within it. IDX images are one file.
 */
public final class DataFiles {
  private DataFiles() {}

  /**
   * Reads {@code data}: a file, a directory of LIBSVM shards or a pattern over them.
   *
   * @param labels the IDX labels file, or null to find it beside the images ({@link
   *     IdxReader#labelsBeside}); must be null for LIBSVM, whose labels are inline
   * @throws InputFormatException naming the file (the shard) and the reason if it breaks its
   *     format, or naming {@code data} if it is a directory or pattern without files or examples
   * @throws CommandLine.UsageException if {@code labels} is given for a LIBSVM file or for shards
   */
  public static SparseDataset read(Path data, Path labels) throws IOException {
    DataShards shards = DataShards.of(data);
    if (!shards.sharded()) {
      return readOne(data, labels);
    }
    if (labels != null) {
      throw new CommandLine.UsageException("--labels is for one IDX image file, but " + data
          + " names " + shards.files().size() + " shard" + (shards.files().size() == 1 ? "" : "s"));
    }
    SparseDataset set = ShardReader.read(shards.files());
    if (set.numExamples() == 0) {
      throw new InputFormatException(data.toString(), 0, "no examples in any of its "
          + shards.files().size() + " file" + (shards.files().size() == 1 ? "" : "s"));
    }
    return set;
  }

  /** Reads the one file {@code data} (IDX or LIBSVM), naming it in errors. */
  private static SparseDataset readOne(Path data, Path labels) throws IOException {
    try {
      return readFile(data, labels);
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      // The images or their labels file (given, or the one found beside the images).
      Path other = labels != null ? labels : labelsBesideOrNull(data);
      Path damaged = !isDamagedGzip(data) && other != null && Files.isRegularFile(other)
          && isDamagedGzip(other) ? other : data;
      throw damagedGzip(damaged, e);
    }
  }

  /** The error of a gzip {@code file} that ends early or does not decompress. */
  static InputFormatException damagedGzip(Path file, IOException e) {
    return new InputFormatException(file.toString(), 0, "not a complete gzip stream (the file"
        + " is truncated or damaged: " + e.getMessage() + "); copy or download it again");
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
  public static void requireTwoClasses(SparseDataset data, Path file, String classifier)
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
  public static SparseDataset alignTo(SparseDataset data, int[] classLabels, int features, Path file)
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
