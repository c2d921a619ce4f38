package org.lbfgsbeam.core.data;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lbfgsbeam.core.Checks;

/**
 * LSHTC-like synthetic text classification sets, made the way the fixture sets {@code
 * synth-*.libsvm} were: power-law class sizes, each class a sparse topic over a Zipfian vocabulary,
 * tf-idf weighted, rows L2-normalised. Najafabadi et al. (2017) ran their softmax experiments on
 * the LSHTC sets (Partalas et al., "LSHTC: A Benchmark for Large-Scale Text Classification",
 * 2015); this generator gives sets of any of their shapes, e.g. lshtc-small's N = 4,463 documents,
 * D = 51,033 features, K = 1,139 classes, without the download.
 *
 * <p>Immutable options, each changed with a {@code with...} method that validates its argument and
 * returns a copy:
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>documents</td><td>(required)</td><td>N, the rows</td></tr>
 *   <tr><td>features</td><td>(required)</td><td>D, the vocabulary size; word r (rank r, 1-based) is
 *       feature r</td></tr>
 *   <tr><td>classes</td><td>(required)</td><td>K, at most N</td></tr>
 *   <tr><td>wordsPerDocument</td><td>60</td><td>W, the mean number of tokens of a
 *       document</td></tr>
 *   <tr><td>topicWords</td><td>min(50, D)</td><td>T, the distinct words of a class topic, at most
 *       D</td></tr>
 *   <tr><td>topicWeight</td><td>0.5</td><td>the probability that a token comes from the document's
 *       class topic rather than the background vocabulary, in [0, 1]</td></tr>
 *   <tr><td>classExponent</td><td>1.0</td><td>a, the power law of the class sizes</td></tr>
 *   <tr><td>zipfExponent</td><td>1.1</td><td>s, the Zipf law of the background vocabulary</td></tr>
 *   <tr><td>seed</td><td>1</td><td>the seed of every random choice</td></tr>
 * </table>
 *
 * <p>The model, with all randomness from {@link SplittableRandom} streams split off {@code seed}:
 *
 * <ol>
 *   <li><b>Class sizes.</b> Class c (0-based) has weight {@code p_c = (c+1)^-a / sum_k (k+1)^-a}.
 *       Each class gets one document, and the other N - K are shared out by largest remainder:
 *       {@code n_c = 1 + floor((N-K) p_c)}, plus one for the classes with the largest fractional
 *       parts until the sizes sum to N. So every class is present, {@code |n_c - 1 - (N-K) p_c|
 *       < 1}, and the sizes are non-increasing in c: class 0 is the largest. The labels are then
 *       shuffled, so the classes are interleaved through the file ({@link #classSizes()}).
 *   <li><b>Background vocabulary.</b> Word r in 1..D has probability {@code r^-s / sum_q q^-s},
 *       sampled in O(log D) by binary search in the precomputed cumulative sums.
 *   <li><b>Topics.</b> Class c's topic is T distinct words drawn from the background Zipf law (by
 *       rejection of repeats; should rejection stall, as when T is close to D, the rest are drawn
 *       uniformly from the unused words).
 *   <li><b>Documents.</b> Document i of class c has {@code 1 + Poisson(W - 1)} tokens (mean W,
 *       never empty); each token is, with probability topicWeight, a word of c's topic chosen
 *       uniformly, otherwise a background word.
 *   <li><b>Exact D.</b> If no document contains word D, one document chosen at random gets one
 *       token of it, so the largest feature index present, which is D for {@link LibsvmReader}, is
 *       exactly D.
 *   <li><b>Weights.</b> With {@code tf_ij} the count of word j in document i and {@code df_j} the
 *       number of documents containing j, {@code x_ij = tf_ij * idf_j} with the smoothed {@code
 *       idf_j = ln((1 + N) / (1 + df_j)) + 1 >= 1}, and each row is divided by its L2 norm. Every
 *       stored value is therefore finite and in (0, 1], and every row has norm 1 to rounding.
 * </ol>
 *
 * <p>Output: rows in document order, labels the class indices 0..K-1 (so {@code classLabels} of the
 * result is {@code [0, 1, ..., K-1]}), features 1-based and ascending, so a set read back from
 * {@link #write} has exactly the shape (N, D, K). Values are written with {@link Double#toString},
 * which reads back to the same double: {@code LibsvmReader.read} of the text equals {@link
 * #generate()}. The same options give the same dataset on every platform ({@link StrictMath} for
 * every transcendental function); the text is byte-identical for a given Java version (Java 19
 * changed {@code Double.toString} to the shortest representation, which reads back to the same
 * doubles).
 *
 * <p>Cost: two passes regenerate the documents from their seeds, the first to count document
 * frequencies, the second to weight and emit them, so {@link #write(Writer)} holds O(N + D + K T)
 * numbers in memory however many nonzeros it writes. Time is O(N W log D).
 */
public final class SyntheticTextGenerator {
  /** Java's largest safe array length; bounds D, N and (for {@link #generate()}) nnz. */
  private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
  private static final int MAX_WORDS_PER_DOCUMENT = 1_000_000;
  /** Poisson variates are summed from chunks of at most this mean, so exp(-mean) stays normal. */
  private static final double POISSON_CHUNK = 30.0;
  private static final int WRITE_CHUNK_CHARS = 1 << 16;

  private final int documents;
  private final int features;
  private final int classes;
  private final int wordsPerDocument;
  private final int topicWords;
  private final double topicWeight;
  private final double classExponent;
  private final double zipfExponent;
  private final long seed;

  private SyntheticTextGenerator(int documents, int features, int classes, int wordsPerDocument,
      int topicWords, double topicWeight, double classExponent, double zipfExponent, long seed) {
    this.documents = documents;
    this.features = features;
    this.classes = classes;
    this.wordsPerDocument = wordsPerDocument;
    this.topicWords = topicWords;
    this.topicWeight = topicWeight;
    this.classExponent = classExponent;
    this.zipfExponent = zipfExponent;
    this.seed = seed;
  }

  /**
   * A generator of N documents over D features in K classes, with the other options at their
   * defaults (class comment); {@link #validate()} checks that {@code documents >= classes}.
   *
   * @param documents N, in [1, 2<sup>31</sup> - 10]
   * @param features D, in [1, 2<sup>31</sup> - 9]
   * @param classes K, positive (and at most N, checked by {@link #validate()})
   * @throws IllegalArgumentException naming the value if one is out of range
   */
  public static SyntheticTextGenerator of(int documents, int features, int classes) {
    checkDocuments(documents);
    checkFeatures(features);
    checkClasses(classes);
    return new SyntheticTextGenerator(documents, features, classes, 60, Math.min(50, features),
        0.5, 1.0, 1.1, 1L);
  }

  public SyntheticTextGenerator withDocuments(int n) {
    checkDocuments(n);
    return new SyntheticTextGenerator(n, features, classes, wordsPerDocument, topicWords,
        topicWeight, classExponent, zipfExponent, seed);
  }

  public SyntheticTextGenerator withFeatures(int d) {
    checkFeatures(d);
    return new SyntheticTextGenerator(documents, d, classes, wordsPerDocument, topicWords,
        topicWeight, classExponent, zipfExponent, seed);
  }

  public SyntheticTextGenerator withClasses(int k) {
    checkClasses(k);
    return new SyntheticTextGenerator(documents, features, k, wordsPerDocument, topicWords,
        topicWeight, classExponent, zipfExponent, seed);
  }

  public SyntheticTextGenerator withWordsPerDocument(int w) {
    Checks.checkArgument(w >= 1 && w <= MAX_WORDS_PER_DOCUMENT,
        "wordsPerDocument must be in [1, %s], but was: %s", MAX_WORDS_PER_DOCUMENT, w);
    return new SyntheticTextGenerator(documents, features, classes, w, topicWords, topicWeight,
        classExponent, zipfExponent, seed);
  }

  public SyntheticTextGenerator withTopicWords(int t) {
    Checks.checkArgument(t >= 1, "topicWords must be positive, but was: %s", t);
    return new SyntheticTextGenerator(documents, features, classes, wordsPerDocument, t,
        topicWeight, classExponent, zipfExponent, seed);
  }

  public SyntheticTextGenerator withTopicWeight(double f) {
    Checks.checkArgument(f >= 0 && f <= 1, "topicWeight must be in [0, 1], but was: %s", f);
    return new SyntheticTextGenerator(documents, features, classes, wordsPerDocument, topicWords,
        f, classExponent, zipfExponent, seed);
  }

  public SyntheticTextGenerator withClassExponent(double a) {
    Checks.checkArgument(a >= 0 && Double.isFinite(a),
        "classExponent must be finite and non-negative, but was: %s", a);
    return new SyntheticTextGenerator(documents, features, classes, wordsPerDocument, topicWords,
        topicWeight, a, zipfExponent, seed);
  }

  public SyntheticTextGenerator withZipfExponent(double s) {
    Checks.checkArgument(s >= 0 && Double.isFinite(s),
        "zipfExponent must be finite and non-negative, but was: %s", s);
    return new SyntheticTextGenerator(documents, features, classes, wordsPerDocument, topicWords,
        topicWeight, classExponent, s, seed);
  }

  public SyntheticTextGenerator withSeed(long s) {
    return new SyntheticTextGenerator(documents, features, classes, wordsPerDocument, topicWords,
        topicWeight, classExponent, zipfExponent, s);
  }

  public int documents() { return documents; }
  public int features() { return features; }
  public int classes() { return classes; }
  public int wordsPerDocument() { return wordsPerDocument; }
  public int topicWords() { return topicWords; }
  public double topicWeight() { return topicWeight; }
  public double classExponent() { return classExponent; }
  public double zipfExponent() { return zipfExponent; }
  public long seed() { return seed; }

  /**
   * Checks the constraints between options, which the {@code with...} methods cannot check one at a
   * time: {@code classes <= documents} (every class gets a document) and {@code topicWords <=
   * features}. {@link #generate()}, {@link #write} and {@link #classSizes()} call it first.
   *
   * @return this generator
   * @throws IllegalArgumentException naming both values when a constraint is broken
   */
  public SyntheticTextGenerator validate() {
    Checks.checkArgument(classes <= documents,
        "classes must be at most documents (%s) so that every class has a document, but was: %s",
        documents, classes);
    Checks.checkArgument(topicWords <= features,
        "topicWords must be at most features (%s), but was: %s", features, topicWords);
    return this;
  }

  /**
   * int[K]: the number of documents of each class, non-increasing, each at least 1, summing to N
   * (step 1 of the class comment).
   */
  public int[] classSizes() {
    validate();
    int n = documents;
    int k = classes;
    double[] weights = new double[k];
    double total = 0;
    for (int c = 0; c < k; c++) {
      weights[c] = StrictMath.pow(c + 1, -classExponent);
      total += weights[c];
    }
    int[] sizes = new int[k];
    double[] fractions = new double[k];
    long rest = (long) n - k;
    long assigned = 0;
    for (int c = 0; c < k; c++) {
      double share = rest * (weights[c] / total);
      long whole = (long) Math.floor(share);
      sizes[c] = 1 + (int) whole;
      fractions[c] = share - whole;
      assigned += whole;
    }
    // Largest remainder; rounding can leave the floors a few off either way, so move single
    // documents by fractional part (ties to the lower class, which keeps the sizes non-increasing).
    Integer[] byFraction = new Integer[k];
    for (int c = 0; c < k; c++) {
      byFraction[c] = c;
    }
    Arrays.sort(byFraction, (x, y) -> fractions[x] != fractions[y]
        ? Double.compare(fractions[y], fractions[x]) : Integer.compare(x, y));
    long missing = rest - assigned;
    for (int r = 0; missing > 0; r = (r + 1) % k, missing--) {
      sizes[byFraction[r]]++;
    }
    for (int r = k - 1; missing < 0; r = (r + k - 1) % k) {
      if (sizes[byFraction[r]] > 1) {
        sizes[byFraction[r]]--;
        missing++;
      }
    }
    return sizes;
  }

  /**
   * Generates the set in memory.
   *
   * @throws IllegalArgumentException if the options are inconsistent ({@link #validate()}) or the
   *     set would have more nonzeros than a Java array holds (use {@link #write} for such sets)
   */
  public SparseDataset generate() {
    Corpus corpus = new Corpus();
    Checks.checkArgument(corpus.nnz <= MAX_ARRAY_LENGTH,
        "the set has %s nonzeros, more than a Java array holds (%s); write it to a file instead",
        corpus.nnz, MAX_ARRAY_LENGTH);
    int nnz = (int) corpus.nnz;
    int[] rowOffsets = new int[documents + 1];
    int[] columns = new int[nnz];
    double[] values = new double[nnz];
    int[] at = {0};
    corpus.emit((doc, label, words, weights, length) -> {
      for (int e = 0; e < length; e++) {
        columns[at[0] + e] = words[e];
      }
      System.arraycopy(weights, 0, values, at[0], length);
      at[0] += length;
      rowOffsets[doc + 1] = at[0];
    });
    int[] classLabels = new int[classes];
    for (int c = 0; c < classes; c++) {
      classLabels[c] = c;
    }
    return new SparseDataset(features, classLabels, rowOffsets, columns, values,
        corpus.labels.clone());
  }

  /**
   * Streams the set to {@code out} as LIBSVM text, one {@code "label index:value ..."} line per
   * document (LF line ends); flushes {@code out} but does not close it. Text is handed to {@code
   * out} in chunks of 64 Ki characters, so the set never exists in memory as a whole.
   *
   * @throws IllegalArgumentException if the options are inconsistent ({@link #validate()})
   */
  public void write(Writer out) throws IOException {
    Checks.checkArgument(out != null, "out must not be null");
    Corpus corpus = new Corpus();
    StringBuilder text = new StringBuilder(WRITE_CHUNK_CHARS + 1024);
    char[] chunk = new char[WRITE_CHUNK_CHARS + 1024];
    corpus.emit((doc, label, words, weights, length) -> {
      text.append(label);
      for (int e = 0; e < length; e++) {
        text.append(' ').append(words[e] + 1).append(':').append(weights[e]);
      }
      text.append('\n');
      if (text.length() >= WRITE_CHUNK_CHARS) {
        drain(text, chunk, out);
      }
    });
    drain(text, chunk, out);
    out.flush();
  }

  /**
   * Writes the set to {@code file} as {@link #write(Writer)} does, creating or truncating it. The
   * file is written in place; a caller that must never leave partial output writes to a temporary
   * file and renames it.
   */
  public void write(Path file) throws IOException {
    Checks.checkArgument(file != null, "file must not be null");
    validate();
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      write(out);
    }
  }

  @Override
  public String toString() {
    return "SyntheticTextGenerator{documents=" + documents + ", features=" + features
        + ", classes=" + classes + ", wordsPerDocument=" + wordsPerDocument + ", topicWords="
        + topicWords + ", topicWeight=" + topicWeight + ", classExponent=" + classExponent
        + ", zipfExponent=" + zipfExponent + ", seed=" + seed + "}";
  }

  private static void checkDocuments(int n) {
    Checks.checkArgument(n >= 1 && n < MAX_ARRAY_LENGTH,
        "documents must be in [1, %s], but was: %s", MAX_ARRAY_LENGTH - 1, n);
  }

  private static void checkFeatures(int d) {
    Checks.checkArgument(d >= 1 && d <= MAX_ARRAY_LENGTH,
        "features must be in [1, %s], but was: %s", MAX_ARRAY_LENGTH, d);
  }

  private static void checkClasses(int k) {
    Checks.checkArgument(k >= 1, "classes must be positive, but was: %s", k);
  }

  private static void drain(StringBuilder text, char[] chunk, Writer out) throws IOException {
    int length = text.length();
    char[] buffer = length <= chunk.length ? chunk : new char[length];
    text.getChars(0, length, buffer, 0);
    out.write(buffer, 0, length);
    text.setLength(0);
  }

  /**
   * Receives one weighted document: its 0-based columns {@code words[0, length)}, ascending, and
   * their values {@code weights[0, length)}. The arrays are reused for the next document.
   */
  @FunctionalInterface
  private interface DocumentSink<X extends Exception> {
    void accept(int doc, int label, int[] words, double[] weights, int length) throws X;
  }

  /**
   * Receives one document's distinct words {@code words[0, length)}, ascending, and its token
   * counts indexed by word; the arrays are reused for the next document.
   */
  @FunctionalInterface
  private interface CountSink<X extends Exception> {
    void accept(int doc, int[] words, int[] counts, int length) throws X;
  }

  /**
   * The random parts of one generated set: labels, topics, the vocabulary's cumulative sums, and
   * (after the counting pass) the document frequencies. Documents are regenerated from per-document
   * streams split off in document order, so both passes see the same tokens.
   */
  private final class Corpus {
    /** int[N] class of each document. */
    final int[] labels;
    /** int[K*T] class c's topic words (0-based) are topics[c*T, (c+1)*T). */
    final int[] topics;
    /** double[D] unnormalised cumulative Zipf weights: cdf[r] = sum_{q<=r} (q+1)^-s. */
    final double[] cdf;
    /** int[D] document frequency of each word, including the forced word D. */
    final int[] df;
    /** The document given one token of word D, or -1 when some document already has it. */
    final int forcedDocument;
    /** The number of nonzeros of the whole set. */
    final long nnz;
    private final long documentsSeed;
    /** Scratch, int[D]: token counts of the current document, all zero between documents. */
    private final int[] counts;
    private int[] touched = new int[64];

    Corpus() {
      validate();
      SplittableRandom root = new SplittableRandom(seed);
      SplittableRandom labelRandom = root.split();
      SplittableRandom topicRandom = root.split();
      documentsSeed = root.split().nextLong();
      SplittableRandom forcedRandom = root.split();

      cdf = new double[features];
      double sum = 0;
      for (int r = 0; r < features; r++) {
        sum += StrictMath.pow(r + 1, -zipfExponent);
        cdf[r] = sum;
      }
      labels = shuffledLabels(labelRandom);
      topics = drawTopics(topicRandom);

      counts = new int[features];
      df = new int[features];
      long[] total = {0};
      forEachDocument(-1, (doc, words, docCounts, length) -> {
        for (int e = 0; e < length; e++) {
          df[words[e]]++;
        }
        total[0] += length;
      });
      if (df[features - 1] == 0) {
        forcedDocument = forcedRandom.nextInt(documents);
        df[features - 1] = 1;
        total[0]++;
      } else {
        forcedDocument = -1;
      }
      nnz = total[0];
    }

    /** The second pass: weights every document by tf-idf, normalises it and hands it on. */
    <X extends Exception> void emit(DocumentSink<X> sink) throws X {
      double[] idf = new double[features];
      for (int j = 0; j < features; j++) {
        if (df[j] > 0) {
          idf[j] = StrictMath.log((1.0 + documents) / (1.0 + df[j])) + 1.0;
        }
      }
      double[][] weights = {new double[touched.length]};
      forEachDocument(forcedDocument, (doc, words, docCounts, length) -> {
        if (weights[0].length < length) {
          weights[0] = new double[words.length];
        }
        double[] x = weights[0];
        double squares = 0;
        for (int e = 0; e < length; e++) {
          x[e] = docCounts[words[e]] * idf[words[e]];
          squares += x[e] * x[e];
        }
        double norm = Math.sqrt(squares);
        for (int e = 0; e < length; e++) {
          x[e] /= norm;
        }
        sink.accept(doc, labels[doc], words, x, length);
      });
    }

    /**
     * Regenerates each document in order and passes its ascending distinct words and its token
     * counts (indexed by word) to {@code sink}; document {@code forced} also gets one token of word
     * D.
     */
    private <X extends Exception> void forEachDocument(int forced, CountSink<X> sink) throws X {
      SplittableRandom documentRandoms = new SplittableRandom(documentsSeed);
      double mean = wordsPerDocument - 1.0;
      for (int i = 0; i < documents; i++) {
        SplittableRandom random = documentRandoms.split();
        int topic = labels[i] * topicWords;
        long length = 1 + poisson(random, mean);
        int distinct = 0;
        for (long t = 0; t < length; t++) {
          int word = random.nextDouble() < topicWeight
              ? topics[topic + random.nextInt(topicWords)]
              : sampleZipf(random);
          if (counts[word]++ == 0) {
            distinct = add(distinct, word);
          }
        }
        if (i == forced && counts[features - 1]++ == 0) {
          distinct = add(distinct, features - 1);
        }
        Arrays.sort(touched, 0, distinct);
        sink.accept(i, touched, counts, distinct);
        for (int e = 0; e < distinct; e++) {
          counts[touched[e]] = 0;
        }
      }
    }

    private int add(int distinct, int word) {
      if (distinct == touched.length) {
        touched = Arrays.copyOf(touched, 2 * distinct);
      }
      touched[distinct] = word;
      return distinct + 1;
    }

    /** A word (0-based) of the background Zipf law: binary search of u * total in cdf. */
    private int sampleZipf(SplittableRandom random) {
      double u = random.nextDouble() * cdf[features - 1];
      int lo = 0;
      int hi = features - 1;
      while (lo < hi) { // invariant: the answer, the first r with cdf[r] > u, is in [lo, hi]
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] > u) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo;
    }

    /** int[N]: each class c repeated classSizes()[c] times, in a random order. */
    private int[] shuffledLabels(SplittableRandom random) {
      int[] sizes = classSizes();
      int[] result = new int[documents];
      int at = 0;
      for (int c = 0; c < classes; c++) {
        Arrays.fill(result, at, at + sizes[c], c);
        at += sizes[c];
      }
      for (int i = documents - 1; i > 0; i--) { // Fisher-Yates
        int j = random.nextInt(i + 1);
        int swap = result[i];
        result[i] = result[j];
        result[j] = swap;
      }
      return result;
    }

    /** int[K*T]: each class's T distinct words, drawn from the Zipf law without replacement. */
    private int[] drawTopics(SplittableRandom random) {
      int t = topicWords;
      int[] result = new int[classes * t];
      int[] usedBy = new int[features]; // usedBy[w] == c + 1 when w is in class c's topic
      long budget = 16L * t + 64;
      for (int c = 0; c < classes; c++) {
        int stamp = c + 1;
        int have = 0;
        for (long attempt = 0; have < t && attempt < budget; attempt++) {
          int word = sampleZipf(random);
          if (usedBy[word] != stamp) {
            usedBy[word] = stamp;
            result[c * t + have++] = word;
          }
        }
        if (have < t) { // rejection stalled (T close to D): the rest uniformly from unused words
          int[] unused = new int[features - have];
          int u = 0;
          for (int w = 0; w < features; w++) {
            if (usedBy[w] != stamp) {
              unused[u++] = w;
            }
          }
          for (int e = 0; have < t; e++) { // partial Fisher-Yates
            int j = e + random.nextInt(u - e);
            int word = unused[j];
            unused[j] = unused[e];
            usedBy[word] = stamp;
            result[c * t + have++] = word;
          }
        }
      }
      return result;
    }
  }

  /**
   * A Poisson(mean) variate, summed from Knuth's multiplication method on chunks of mean at most
   * {@value #POISSON_CHUNK} (a sum of independent Poissons is Poisson). O(mean) uniforms.
   */
  static long poisson(SplittableRandom random, double mean) {
    long total = 0;
    double left = mean;
    while (left > 0) {
      double chunk = Math.min(left, POISSON_CHUNK);
      double limit = StrictMath.exp(-chunk);
      double product = random.nextDouble();
      while (product > limit) {
        total++;
        product *= random.nextDouble();
      }
      left -= chunk;
    }
    return total;
  }
}
