package org.lbfgsbeam.transforms;

import java.io.IOException;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.lbfgsbeam.core.Checks;

/**
 * Writes a {@code PCollection<LabeledExample>} as the training input that {@code train --data}
 * reads: one LIBSVM text file, one example per line ({@code label index:value ...}, indices 1-based
 * and ascending), through Beam's FileSystems (local disk, HDFS, GCS, S3: whatever the pipeline's
 * options register).
 *
 * <pre>{@code
 * examples.apply("WriteTrainingInput", WriteTrainingInput.to("gs://bucket/train.libsvm"));
 * }</pre>
 *
 * <p>Exactly one file is written, at exactly the given path ({@code TextIO} without sharding: the
 * lines pass through one worker). Lines are in no particular order: L-BFGS on the full batch does
 * not depend on the examples' order except through the rounding of sums. The file appears whole or
 * not at all: TextIO writes a temporary file and renames it when the pipeline finishes. Values are
 * written so that they read back to the same bits: integral values as integers ({@code 3:1}), others
 * with Java's shortest round-tripping decimal ({@code 3:0.1}, {@code 4:1.0E-7}).
 *
 * <p>By default the target must not exist (checked when the transform is applied):
 * {@link #withOverwrite withOverwrite(true)} replaces it. {@code train} infers the classes from the
 * labels written and D from the largest index written; an empty input writes an empty file, which
 * {@code train} rejects.
 *
 * <p>The output is the written file's name, once the file is in place, for a following step to wait
 * on ({@code Wait.on}).
 */
public final class WriteTrainingInput
    extends PTransform<PCollection<LabeledExample>, PCollection<String>> {
  private final String path;
  private final boolean overwrite;

  private WriteTrainingInput(String path, boolean overwrite) {
    this.path = path;
    this.overwrite = overwrite;
  }

  /**
   * Writes to the file {@code path} (any Beam FileSystem path, such as {@code /data/train.libsvm} or
   * {@code gs://bucket/train.libsvm}); not a pattern, not a directory.
   */
  public static WriteTrainingInput to(String path) {
    Checks.checkArgument(path != null && !path.isEmpty(), "path must be set, but was: %s", path);
    Checks.checkArgument(!path.endsWith("/") && !path.endsWith("\\"),
        "path must name a file, not a directory, but was: %s", path);
    Checks.checkArgument(!path.contains("*") && !path.contains("?") && !path.contains("["),
        "path must name one file, not a pattern, but was: %s", path);
    return new WriteTrainingInput(path, false);
  }

  /** Whether to replace an existing file at the path (default false: fail when applied). */
  public WriteTrainingInput withOverwrite(boolean overwrite) {
    return new WriteTrainingInput(path, overwrite);
  }

  public String path() {
    return path;
  }

  public boolean overwrite() {
    return overwrite;
  }

  @Override
  public PCollection<String> expand(PCollection<LabeledExample> examples) {
    if (!overwrite) {
      Checks.checkArgument(!exists(path),
          "%s already exists (use withOverwrite(true) to replace it)", path);
    }
    return examples
        .apply("ToLibsvmLines", MapElements.via(new ToLine()))
        .setCoder(StringUtf8Coder.of())
        .apply("WriteOneFile", TextIO.write().to(path).withoutSharding().<Void>withOutputFilenames())
        .getPerDestinationOutputFilenames()
        .apply("WrittenFile", Values.create());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("path", path).withLabel("Training input file"))
        .add(DisplayData.item("overwrite", overwrite).withLabel("Replace an existing file"));
  }

  /**
   * The LIBSVM line of {@code e}, without the newline: {@code "label index:value ..."}; just the
   * label when it has no features.
   */
  public static String libsvmLine(LabeledExample e) {
    SparseFeatures x = e.features();
    StringBuilder s = new StringBuilder(12 + 16 * x.size()).append(e.label());
    for (int p = 0; p < x.size(); p++) {
      s.append(' ').append(x.index(p)).append(':');
      appendValue(s, x.value(p));
    }
    return s.toString();
  }

  /** Integral values below 2^53 as integers (keeping -0's sign), others by Double.toString. */
  private static void appendValue(StringBuilder s, double v) {
    if (v == 0) {
      s.append(Double.doubleToRawLongBits(v) < 0 ? "-0" : "0");
    } else if (v == Math.rint(v) && Math.abs(v) < 0x1p53) {
      s.append((long) v);
    } else {
      s.append(Double.toString(v));
    }
  }

  private static boolean exists(String path) {
    try {
      MatchResult match = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
      return match.status() == MatchResult.Status.OK && !match.metadata().isEmpty();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot check whether " + path + " exists: "
          + e.getMessage(), e);
    }
  }

  private static final class ToLine extends SimpleFunction<LabeledExample, String> {
    @Override
    public String apply(LabeledExample e) {
      return libsvmLine(e);
    }
  }
}
