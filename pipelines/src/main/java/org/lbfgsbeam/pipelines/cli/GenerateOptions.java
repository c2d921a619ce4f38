package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lbfgsbeam.core.data.SyntheticTextGenerator;

/**
 * The options of {@code generate}, validated; the run is {@code
 * org.lbfgsbeam.pipelines.data.GenerateCommand}.
 *
 * @param output the LIBSVM file to write
 * @param generator the set's generator: a preset's with the options given changed, or the options'
 * @param overwrite replace an existing {@code output}
 */
public record GenerateOptions(Path output, SyntheticTextGenerator generator, boolean overwrite) {
  public static final String HELP = String.join("\n",
      "usage: generate --output FILE --documents N --features D --classes K [options]",
      "       generate --output FILE --preset NAME [options]",
      "",
      "Writes an LSHTC-like synthetic LIBSVM set: power-law class sizes, each class a sparse",
      "topic over a Zipfian vocabulary, tf-idf weighted, rows L2-normalised. Labels are 0..K-1;",
      "the file has exactly N rows, K classes and largest feature index D. The same options give",
      "the same set.",
      "",
      "Presets (options given beside --preset override the preset's):",
      "  text-63k      63,550 documents x 20,000 features x 53 classes, 498,718 nonzeros (7.85 per",
      "                document): --words-per-document 8 --topic-words 100 --zipf-exponent 0.9;",
      "                the shape of issue 13's text set (its 498,707 nonzeros), run at lambda 1e-4",
      "  lshtc-small   4,463 x 51,033 x 1,139 (58M parameters), 194,973 nonzeros: LSHTC's",
      "                lshtc-small shape, --seed 7 (docs/benchmarks.md)",
      "",
      "  --output FILE               the LIBSVM file to write (required)",
      "  --preset NAME               text-63k or lshtc-small",
      "  --documents N               rows (required without --preset)",
      "  --features D                vocabulary size, the largest feature index (required without",
      "                              --preset)",
      "  --classes K                 classes, 1..N (required without --preset)",
      "  --words-per-document W      mean tokens per document (default 60)",
      "  --topic-words T             distinct words of a class topic, 1..D (default min(50, D))",
      "  --topic-weight F            share of a document's tokens from its class topic, 0..1"
          + " (default 0.5)",
      "  --class-exponent A          class sizes proportional to rank^-A (default 1.0)",
      "  --zipf-exponent S           word frequencies proportional to rank^-S (default 1.1)",
      "  --seed S                    random seed, a 64-bit integer (default 1)",
      "  --overwrite                 replace an existing FILE",
      "  --help                      this text");

  private static final Set<String> VALUED = Set.of("output", "preset", "documents", "features",
      "classes", "words-per-document", "topic-words", "topic-weight", "class-exponent",
      "zipf-exponent", "seed");

  /**
   * Named benchmark shapes, each a generator whose options the command line may override.
   *
   * <ul>
   *   <li>{@code text-63k}: N = 63,550, D = 20,000, K = 53 with W = 8 tokens a document, topics of
   *       100 words and Zipf exponent 0.9: 498,718 nonzeros (7.85 per document), chosen to match
   *       the real text set of issue 13 (63,550 × 19,998 × 53, 498,707 nonzeros, λ = 1e-4; a
   *       model of 1.06M parameters that outweighs its data); seed 1.
   *   <li>{@code lshtc-small}: LSHTC's lshtc-small shape, N = 4,463, D = 51,033, K = 1,139 (58M
   *       parameters), the other options at their defaults, seed 7: the set of
   *       docs/benchmarks.md, 194,973 nonzeros.
   * </ul>
   */
  public static final Map<String, SyntheticTextGenerator> PRESETS = presets();

  private static Map<String, SyntheticTextGenerator> presets() {
    Map<String, SyntheticTextGenerator> presets = new LinkedHashMap<>();
    presets.put("text-63k", SyntheticTextGenerator.of(63_550, 20_000, 53).withWordsPerDocument(8)
        .withTopicWords(100).withZipfExponent(0.9));
    presets.put("lshtc-small", SyntheticTextGenerator.of(4_463, 51_033, 1_139).withSeed(7));
    return java.util.Collections.unmodifiableMap(presets);
  }
  private static final Set<String> FLAGS = Set.of("overwrite", "help");



  /**
   * Parses and validates {@code args}; bad values are usage errors naming them.
   *
   * @throws CommandLine.UsageException for a bad command line
   */
  public static GenerateOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    Path output = Paths.get(cl.required("output"));
    return new GenerateOptions(output, generator(cl), cl.has("overwrite"));
  }

  /** Whether {@code args} ask for {@link #HELP} ({@code --help} or {@code -h}). */
  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }

  /**
   * The generator the options describe, validated; bad values are usage errors naming them. With
   * {@code --preset}, the preset's generator with every option given on the command line changed.
   */
  static SyntheticTextGenerator generator(CommandLine cl) {
    try {
      SyntheticTextGenerator g;
      if (cl.has("preset")) {
        String name = cl.required("preset");
        g = PRESETS.get(name);
        if (g == null) {
          throw new CommandLine.UsageException("--preset must be one of "
              + String.join(", ", PRESETS.keySet()) + ", but was: " + name);
        }
        g = g.withDocuments(cl.integer("documents", g.documents()))
            .withFeatures(cl.integer("features", g.features()))
            .withClasses(cl.integer("classes", g.classes()));
      } else {
        g = SyntheticTextGenerator.of(requiredInteger(cl, "documents"),
            requiredInteger(cl, "features"), requiredInteger(cl, "classes"));
      }
      g = g.withWordsPerDocument(cl.integer("words-per-document", g.wordsPerDocument()))
          .withTopicWords(cl.integer("topic-words", g.topicWords()))
          .withTopicWeight(cl.number("topic-weight", g.topicWeight()))
          .withClassExponent(cl.number("class-exponent", g.classExponent()))
          .withZipfExponent(cl.number("zipf-exponent", g.zipfExponent()))
          .withSeed(seed(cl, g.seed()));
      return g.validate();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
  }

  private static int requiredInteger(CommandLine cl, String name) {
    cl.required(name);
    return cl.integer(name, 0);
  }

  private static long seed(CommandLine cl, long fallback) {
    String v = cl.string("seed", null);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new CommandLine.UsageException("--seed must be a 64-bit integer, but was: " + v);
    }
  }
}
