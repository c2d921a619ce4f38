package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.lbfgsbeam.core.Checks;

/**
 * Writes a {@code PCollection<LabeledExample>} as the training input that {@code train --data}
 * reads: LIBSVM text shards, one example per line ({@code label index:value ...}, indices 1-based
 * and ascending), written in parallel through Beam's FileSystems (local disk, HDFS, GCS, S3:
 * whatever the pipeline's options register).
 *
 * <pre>{@code
 * examples.apply("WriteTrainingInput",
 *     WriteTrainingInput.to("gs://bucket/train").withNumShards(16).withSuffix(".libsvm"));
 * // train --data 'gs://bucket/train-*'    (local: train --data '/data/train-*')
 * }</pre>
 *
 * <p>The shards are {@code <prefix>-SSSSS-of-NNNNN<suffix>} ({@code TextIO}'s default names, zero
 * padded so that sorting by name is sorting by number), {@link #withNumShards N} of them, or as
 * many as the runner chooses (the default, 0). Which example lands in which shard, and in which
 * order within it, is up to the runner: {@code train} reads the shards in the order of their
 * names, so the set it trains on is the lines as they were written, and a run over the shards has
 * the bits of a run over their concatenation in that order; L-BFGS on the full batch does not
 * depend on the examples' order except through the rounding of sums. Some shards may be empty when
 * there are fewer examples than shards; {@code train} reads them as nothing. Shards appear whole:
 * TextIO writes temporary files and renames them when the pipeline finishes. Values are written so
 * that they read back to the same bits: integral values as integers ({@code 3:1}), others with
 * Java's shortest round-tripping decimal ({@code 3:0.1}, {@code 4:1.0E-7}).
 *
 * <p>By default no shard of the prefix may exist ({@link #shardPattern()}, checked when the
 * transform is applied): {@link #withOverwrite withOverwrite(true)} replaces them, and once the new
 * shards are in place it deletes the old ones the new write did not replace (an earlier write with
 * more shards), so that the pattern matches exactly the new set. {@code train} infers the classes
 * from the labels written and D from the largest index written; an input without examples writes
 * empty shards, which {@code train} rejects.
 *
 * <p>The output is the written shards' names, once every shard is in place (and, with overwrite,
 * the stale ones are gone), for a following step to wait on ({@code Wait.on}).
 */
public final class WriteTrainingInput
    extends PTransform<PCollection<LabeledExample>, PCollection<String>> {
  private final String prefix;
  private final int numShards;
  private final String suffix;
  private final boolean overwrite;

  private WriteTrainingInput(String prefix, int numShards, String suffix, boolean overwrite) {
    this.prefix = prefix;
    this.numShards = numShards;
    this.suffix = suffix;
    this.overwrite = overwrite;
  }

  /**
   * Writes shards named {@code prefix-SSSSS-of-NNNNN} (any Beam FileSystem path, such as {@code
   * /data/train} or {@code gs://bucket/train}); the prefix is not a pattern, and names a file in a
   * directory, not the directory.
   */
  public static WriteTrainingInput to(String prefix) {
    Checks.checkArgument(prefix != null && !prefix.isEmpty(), "prefix must be set, but was: %s",
        prefix);
    Checks.checkArgument(!prefix.endsWith("/") && !prefix.endsWith("\\"),
        "prefix must start a file name, not name a directory, but was: %s", prefix);
    Checks.checkArgument(!isPattern(prefix),
        "prefix must be a path, not a pattern, but was: %s", prefix);
    return new WriteTrainingInput(prefix, 0, "", false);
  }

  /**
   * Writes {@code numShards} shards, or as many as the runner chooses when 0 (the default). A
   * fixed number makes the names the same on every run; each shard is written by one worker, so
   * more shards write (and {@code train} reads) in parallel on more cores.
   */
  public WriteTrainingInput withNumShards(int numShards) {
    Checks.checkArgument(numShards >= 0,
        "numShards must be positive, or 0 for the runner's choice, but was: %s", numShards);
    return new WriteTrainingInput(prefix, numShards, suffix, overwrite);
  }

  /** Ends every shard's name with {@code suffix}, such as {@code ".libsvm"} (default none). */
  public WriteTrainingInput withSuffix(String suffix) {
    Checks.checkArgument(suffix != null, "suffix must not be null, but was: %s", suffix);
    Checks.checkArgument(suffix.indexOf('/') < 0 && suffix.indexOf('\\') < 0 && !isPattern(suffix),
        "suffix must be part of a file name, without / or pattern characters, but was: %s",
        suffix);
    return new WriteTrainingInput(prefix, numShards, suffix, overwrite);
  }

  /**
   * Whether to replace existing shards of the prefix (default false: fail when applied); with true
   * the shards the new write does not replace are deleted once it is done.
   */
  public WriteTrainingInput withOverwrite(boolean overwrite) {
    return new WriteTrainingInput(prefix, numShards, suffix, overwrite);
  }

  public String prefix() {
    return prefix;
  }

  /** The shards to write, or 0 for the runner's choice. */
  public int numShards() {
    return numShards;
  }

  public String suffix() {
    return suffix;
  }

  public boolean overwrite() {
    return overwrite;
  }

  /**
   * The glob that matches the shards this transform writes and nothing else it writes: {@code
   * <prefix>-*-of-*<suffix>}, which is what to give {@code train --data} (quoted).
   */
  public String shardPattern() {
    return prefix + "-*-of-*" + suffix;
  }

  @Override
  public PCollection<String> expand(PCollection<LabeledExample> examples) {
    if (!overwrite) {
      List<String> existing = matching(shardPattern());
      Checks.checkArgument(existing.isEmpty(),
          "%s already exists (use withOverwrite(true) to replace the shards of %s)",
          existing.isEmpty() ? "" : existing.get(0), prefix);
    }
    TextIO.Write write = TextIO.write().to(prefix).withSuffix(suffix);
    if (numShards > 0) {
      write = write.withNumShards(numShards);
    }
    PCollection<String> written = examples
        .apply("ToLibsvmLines", MapElements.via(new ToLine()))
        .setCoder(StringUtf8Coder.of())
        .apply("WriteShards", write.<Void>withOutputFilenames())
        .getPerDestinationOutputFilenames()
        .apply("WrittenShards", Values.create());
    if (!overwrite) {
      return written;
    }
    return written
        .apply("KeyedAsOne", WithKeys.of(0))
        .setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply("AllWrittenShards", GroupByKey.create())
        .apply("RemoveStaleShards", ParDo.of(new RemoveStaleShards(shardPattern())));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("prefix", prefix).withLabel("Training input shard prefix"))
        .add(DisplayData.item("numShards", numShards)
            .withLabel("Shards (0: the runner's choice)"))
        .addIfNotDefault(DisplayData.item("suffix", suffix).withLabel("Shard name suffix"), "")
        .add(DisplayData.item("overwrite", overwrite).withLabel("Replace existing shards"));
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

  /** Whether {@code text} holds glob characters, which a written name cannot. */
  private static boolean isPattern(String text) {
    return text.contains("*") || text.contains("?") || text.contains("[") || text.contains("{");
  }

  /** The files matching {@code pattern}, as resource ids' strings, sorted. */
  private static List<String> matching(String pattern) {
    try {
      MatchResult match = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW);
      List<String> files = new ArrayList<>();
      if (match.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata m : match.metadata()) {
          files.add(m.resourceId().toString());
        }
      }
      Collections.sort(files);
      return files;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + pattern + ": " + e.getMessage(), e);
    }
  }

  /**
   * Deletes the files matching the shard pattern that are not among the shards just written (the
   * leftovers of an earlier write with more shards), then passes the written names on.
   */
  private static final class RemoveStaleShards extends DoFn<KV<Integer, Iterable<String>>, String> {
    private final String shardPattern;

    RemoveStaleShards(String shardPattern) {
      this.shardPattern = shardPattern;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<String>> written,
        OutputReceiver<String> out) throws IOException {
      Set<String> keep = new HashSet<>();
      written.getValue().forEach(keep::add);
      List<ResourceId> stale = new ArrayList<>();
      for (MatchResult.Metadata m : FileSystems.match(shardPattern, EmptyMatchTreatment.ALLOW)
          .metadata()) {
        if (!keep.contains(m.resourceId().toString())) {
          stale.add(m.resourceId());
        }
      }
      FileSystems.delete(stale, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      keep.forEach(out::output);
    }
  }

  private static final class ToLine extends SimpleFunction<LabeledExample, String> {
    @Override
    public String apply(LabeledExample e) {
      return libsvmLine(e);
    }
  }
}
