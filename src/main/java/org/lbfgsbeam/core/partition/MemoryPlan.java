package org.lbfgsbeam.core.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lbfgsbeam.core.Checks;

/**
 * What a full-batch L-BFGS run holds at its peak, in bytes per worker JVM, computed from the
 * data's shape and the run's options before anything is allocated, so that a run that cannot fit
 * is refused with numbers instead of ending in {@code OutOfMemoryError} (issue 12). Also the array
 * limits: a block of a vector, or of the margins, longer than a Java array holds.
 *
 * <p><b>What is counted.</b> n is the number of parameters (softmax: K&times;D, a linear model:
 * D, a network: its &theta;); every full-length vector is n doubles, held as P blocks.
 * <ol>
 *   <li><b>Working vectors</b>, by runner (the peak is a superstep that commits a trial that pushes
 *       a pair, forms a new direction and evaluates a trial with its gradient):
 *     <ul>
 *       <li>{@link Runner#LOCAL} ({@code LocalExecutor}, which holds every block in this JVM): 6 =
 *           x, g, d, the trial gradient g<sub>t</sub> and the gradients of the two trials a
 *           zoom's bracket may keep. A commit works in place (s over the old d, y over the old g,
 *           x &larr; x + s) and releases the pair that leaves the history before the new
 *           direction is formed; the trial point is never formed (the objective forms x +
 *           t&middot;d entry by entry); released vectors are reused, so this is also all the
 *           executor ever holds (measured: 15 arrays per block allocated beside the start block,
 *           2&middot;5 + 6 = 16 vectors, on synth-small, {@code LocalExecutorTest}).</li>
 *       <li>{@link Runner#EMBEDDED_FLINK} (the {@code flink} runner's {@code NodeWorker}s in this
 *           JVM's mini-cluster): 8 = x, x<sup>+</sup>, g, g<sub>e</sub>, d, d<sup>+</sup> and
 *           x<sub>t</sub> of the PREPARE phase (the operator's map still holds the node's old
 *           blocks while {@code NodeOps.commit} and the direction make the new ones; g<sub>t</sub>
 *           comes in the GRADIENT phase, after the old x and d are dropped), and the final x the
 *           client reads back ({@code FlinkRun}).</li>
 *       <li>{@link Runner#EMBEDDED_BEAM} ({@code direct}, {@code beam-flink} on {@code [local]}: a
 *           Beam pipeline per superstep, {@code LbfgsSuperstep}): 10 = x, g, d, g<sub>e</sub> read
 *           and joined, x<sup>+</sup>, d<sup>+</sup>, x<sub>t</sub>, g<sub>t</sub> made (every
 *           intermediate collection of the superstep may be alive until the pipeline ends), the x
 *           the driver reads back for validation or the model ({@code BeamSuperstepExecutor.read}),
 *           and one more for the copies an exchange makes (a block being encoded or decoded by a
 *           CoGroupByKey, a read or a write).</li>
 *     </ul>
 *     The coordinator ({@code LbfgsCoordinator}, {@code LbfgsState}) keeps none: only ids,
 *     scalars and, vector-free, the (2m+1)&sup2; Gram matrix.</li>
 *   <li><b>History</b>: 2(m+1) vectors for EMBEDDED_FLINK (the m pairs (s, y) and the pair a
 *       commit pushes before the oldest is dropped); 2m for LOCAL (the pair is pushed into the
 *       old d and g) and EMBEDDED_BEAM, whose superstep reads only the pairs kept after the
 *       commit.</li>
 *   <li><b>Margins</b> (models with margins linear in w): 5 margin vectors, z<sub>x</sub>,
 *       z<sub>x</sub><sup>+</sup>, z<sub>d</sub>, z<sub>d</sub><sup>+</sup> and the trial's
 *       z<sub>t</sub>, and for softmax a sixth, the exponentials {@code SoftmaxObjective} keeps
 *       from the statistics for the slope and the gradient (the probabilities, over them, from the
 *       slope); each N&times;K doubles for softmax (N&times;K<sub>b</sub>
 *       per class block) and N&times;P for a linear model (every feature block has its own partial margins), plus
 *       the partial statistics and the broadcast: softmax 3N per block and log Z (N); a linear
 *       model a copy of the partial margins (N per block) and the residuals (N).</li>
 *   <li><b>Data</b>, once per copy in the JVM: the CSR arrays (12 bytes a nonzero, 8 an example);
 *       a linear model's transpose ({@code LinearModelObjective}: 12 bytes a nonzero, 8 a feature,
 *       8 an example); a network's dense batches (8&middot;N&middot;D, and 8&middot;N&middot;K of
 *       one-hot targets for the squared loss). LOCAL holds one copy; EMBEDDED_FLINK and
 *       EMBEDDED_BEAM two, the driver's and the one the job or the pipelines read from the
 *       prepared data file ({@code ObjectiveCache}).</li>
 *   <li><b>A network's evaluation</b> ({@code BatchSumObjective}): &theta; assembled, the summed
 *       gradient, the start point the objective keeps, S shard partials and one gradient buffer
 *       per shard evaluated at once (min(threads, S)): S + min(threads, S) + 3 vectors; and per
 *       shard evaluated at once 3 doubles per unit of every layer after the input per example of
 *       a batch (the forward pass's outputs, the backward pass's deltas and their products).</li>
 *   <li><b>The JVM and the framework</b>: 64 MB for LOCAL, 256 MB for the embedded Flink and Beam
 *       runners (their own objects; Flink's managed and network memory are off the heap).</li>
 * </ol>
 * Threads change none of these for the linear models (the per-thread scratch is a few doubles);
 * for a network they set how many shards run at once.
 *
 * <p><b>Margin.</b> The counts are of the large arrays at the run's peak; {@link #MARGIN} (15%) on
 * top covers what they leave out: small per-block arrays, garbage the collector has not reclaimed
 * when the next large array is asked for, the tail of each humongous region. It was chosen so that
 * the documented runs pass with room (docs/benchmarks.md: the 58M-parameter lshtc-small shape, m =
 * 5, P = 8, needs 9.3 GB + 15% = 10.8 GB and ran on -Xmx18g and -Xmx20g) while a run that needs
 * twice its heap is refused before its first allocation.
 *
 * <p><b>Where the plan applies.</b> All the runners above run in one JVM, whose heap ({@code
 * Runtime.maxMemory()}) is the budget. A run on a Flink cluster ({@code --flink-master host:port})
 * keeps its blocks in the TaskManagers, whose heaps the client does not know; the caller skips the
 * heap check there (the REST API's {@code /taskmanagers} would tell, at the price of a request
 * before every run and a number that can change before the job starts) and keeps only the array
 * limits, which hold everywhere.
 *
 * <p>Sizes are reported in GB of 2<sup>30</sup> bytes, the unit of {@code -Xmx6g}.
 */
public final class MemoryPlan {
  /** The extra fraction on top of the counted bytes (see the class comment). */
  public static final double MARGIN = 0.15;

  private static final long MB = 1L << 20;
  private static final double GB = 1L << 30;
  private static final long MAX_ARRAY = Partitioning.MAX_BLOCK_SIZE;

  /** Where the run's blocks are held (see the class comment for what each keeps). */
  public enum Runner {
    /** In this JVM on a thread pool ({@code LocalExecutor}). */
    LOCAL(6, 0, 1, 64),
    /** One Flink job in an embedded mini-cluster in this JVM. */
    EMBEDDED_FLINK(8, 2, 2, 256),
    /** A Beam pipeline per superstep on the DirectRunner or an embedded FlinkRunner. */
    EMBEDDED_BEAM(10, 0, 2, 256);

    private final int working;
    private final int extraPairs;
    private final int dataCopies;
    private final long frameworkMb;

    Runner(int working, int extraPairs, int dataCopies, long frameworkMb) {
      this.working = working;
      this.extraPairs = extraPairs;
      this.dataCopies = dataCopies;
      this.frameworkMb = frameworkMb;
    }

    /** Full-length working vectors (x, g, d, trial point and gradient, copies). */
    public int workingVectors() {
      return working;
    }

    /** History vectors for history size m. */
    public int historyVectors(int m) {
      return 2 * m + extraPairs;
    }

    /** Copies of the training data in the JVM. */
    public int dataCopies() {
      return dataCopies;
    }
  }

  /** The models whose memory differs. */
  public enum Model {
    /** Softmax regression: W of K&times;D in blocks of classes. */
    SOFTMAX,
    /** Logistic or least squares: w of D in blocks of features. */
    LINEAR,
    /** A multilayer perceptron, data-parallel, &theta; in blocks. */
    NETWORK
  }

  /**
   * The training data's shape.
   *
   * @param examples N
   * @param features D
   * @param classes K
   * @param nonzeros stored entries
   */
  public record Shape(long examples, long features, long classes, long nonzeros) {
    public Shape {
      Checks.checkArgument(examples >= 0 && features >= 0 && classes >= 0 && nonzeros >= 0,
          "a shape has no negative sizes, but was: %s x %s, %s classes, %s nonzeros", examples,
          features, classes, nonzeros);
    }

    /** This shape with D = {@code d}. */
    public Shape withFeatures(long d) {
      return new Shape(examples, d, classes, nonzeros);
    }
  }

  /**
   * A network's sizes, for {@link Model#NETWORK}.
   *
   * @param layerSizes d<sub>0</sub> (= D), the hidden sizes, the outputs (= K)
   * @param batchSize examples per batch
   * @param shards S
   * @param oneHotTargets whether the batches carry N&times;K one-hot targets (squared loss)
   */
  public record Network(long[] layerSizes, int batchSize, int shards, boolean oneHotTargets) {
    public Network {
      Checks.checkArgument(layerSizes != null && layerSizes.length >= 2,
          "a network has at least an input and an output layer");
      layerSizes = layerSizes.clone();
      Checks.checkArgument(batchSize >= 1 && shards >= 1,
          "batch size and shards must be positive, but were: %s, %s", batchSize, shards);
    }

    /** Weights and biases: &Sigma;<sub>l</sub> (d<sub>l</sub> + 1) d<sub>l+1</sub>. */
    public long parameters() {
      long n = 0;
      for (int l = 0; l + 1 < layerSizes.length; l++) {
        n += (layerSizes[l] + 1) * layerSizes[l + 1];
      }
      return n;
    }

    /**
     * d<sub>1</sub> + &hellip; + d<sub>L</sub>: the units whose values a batch's forward and
     * backward passes hold (the inputs are the batch itself).
     */
    public long units() {
      long u = 0;
      for (int l = 1; l < layerSizes.length; l++) {
        u += layerSizes[l];
      }
      return u;
    }

    Network withInputs(long d) {
      long[] sizes = layerSizes.clone();
      sizes[0] = d;
      return new Network(sizes, batchSize, shards, oneHotTargets);
    }
  }

  /**
   * One part of the plan.
   *
   * @param name what it is, e.g. "history"
   * @param bytes its size
   * @param detail how it was counted, e.g. "12 vectors of 3 x 50,000,000 doubles"
   */
  public record Term(String name, long bytes, String detail) {}

  private final Model model;
  private final Shape shape;
  private final Network network;
  private final int history;
  private final int partitions;
  private final int threads;
  private final Runner runner;
  private final List<Term> terms;
  private final long bytes;

  private MemoryPlan(Model model, Shape shape, Network network, int history, int partitions,
      int threads, Runner runner) {
    Checks.checkArgument(model != null && shape != null && runner != null,
        "model, shape and runner must be set");
    Checks.checkArgument((model == Model.NETWORK) == (network != null),
        "a network is given exactly for model NETWORK");
    Checks.checkArgument(history >= 1, "history must be positive, but was: %s", history);
    Checks.checkArgument(partitions >= 1, "partitions must be positive, but was: %s", partitions);
    Checks.checkArgument(threads >= 1, "threads must be positive, but was: %s", threads);
    this.model = model;
    this.shape = shape;
    this.network = network;
    this.history = history;
    this.partitions = partitions;
    this.threads = threads;
    this.runner = runner;
    this.terms = List.copyOf(count());
    long sum = 0;
    for (Term t : terms) {
      sum = saturatedAdd(sum, t.bytes());
    }
    this.bytes = sum;
  }

  /** Softmax regression on {@code shape}, history m, P class blocks. */
  public static MemoryPlan softmax(Shape shape, int history, int partitions, int threads,
      Runner runner) {
    return new MemoryPlan(Model.SOFTMAX, shape, null, history, partitions, threads, runner);
  }

  /** A linear model (logistic, least squares) on {@code shape}, P feature blocks. */
  public static MemoryPlan linear(Shape shape, int history, int partitions, int threads,
      Runner runner) {
    return new MemoryPlan(Model.LINEAR, shape, null, history, partitions, threads, runner);
  }

  /** A network's batch L-BFGS on {@code shape}, &theta; in P blocks. */
  public static MemoryPlan network(Shape shape, Network network, int history, int partitions,
      int threads, Runner runner) {
    Checks.checkArgument(network != null, "network must not be null");
    return new MemoryPlan(Model.NETWORK, shape, network, history, partitions, threads, runner);
  }

  /** n, the number of parameters. */
  public long parameters() {
    return switch (model) {
      case SOFTMAX -> shape.classes() * shape.features();
      case LINEAR -> shape.features();
      case NETWORK -> network.parameters();
    };
  }

  /** The counted bytes at the run's peak, without the margin. */
  public long bytes() {
    return bytes;
  }

  /** The heap the run asks for: {@link #bytes()} plus {@link #MARGIN}. */
  public long requiredHeap() {
    return bytes >= Long.MAX_VALUE / 2 ? Long.MAX_VALUE : (long) Math.ceil(bytes * (1 + MARGIN));
  }

  /** Whether the run fits a heap of {@code heapBytes}. */
  public boolean fits(long heapBytes) {
    return requiredHeap() <= heapBytes;
  }

  /** The parts of {@link #bytes()}, largest concern first: vectors, history, margins, data, JVM. */
  public List<Term> terms() {
    return terms;
  }

  public Runner runner() {
    return runner;
  }

  public int history() {
    return history;
  }

  /** This plan with history m. */
  public MemoryPlan withHistory(int m) {
    return new MemoryPlan(model, shape, network, m, partitions, threads, runner);
  }

  /** This plan for data with D = {@code features} (a network's input layer follows). */
  public MemoryPlan withFeatures(long features) {
    return new MemoryPlan(model, shape.withFeatures(features),
        network == null ? null : network.withInputs(features), history, partitions, threads,
        runner);
  }

  /** The largest history m below this plan's that fits {@code heapBytes}, or 0 if none does. */
  public int largestHistoryThatFits(long heapBytes) {
    for (int m = history - 1; m >= 1; m--) {
      if (withHistory(m).fits(heapBytes)) {
        return m;
      }
    }
    return 0;
  }

  /**
   * The largest D below this plan's whose run fits {@code heapBytes} with the same options, or 0 if
   * none does (the plan grows with D, so a bisection finds it).
   */
  public long largestFeaturesThatFit(long heapBytes) {
    long lo = 0;
    long hi = shape.features();
    while (lo < hi) {
      long mid = lo + (hi - lo + 1) / 2;
      if (withFeatures(mid).fits(heapBytes)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo >= shape.features() ? 0 : lo;
  }

  /**
   * The fewest partitions whose every block (of a vector and of the margins) fits a Java array, or
   * -1 when no partition count does (a softmax class row, or a network's &theta; assembled whole,
   * longer than an array).
   */
  public int partitionsNeeded() {
    switch (model) {
      case SOFTMAX -> {
        long perBlock = Math.min(MAX_ARRAY / Math.max(1, shape.features()),
            MAX_ARRAY / Math.max(1, shape.examples()));
        return perBlock == 0 ? -1 : (int) ceilDiv(Math.max(1, shape.classes()), perBlock);
      }
      case LINEAR -> {
        return shape.examples() > MAX_ARRAY ? -1
            : (int) ceilDiv(Math.max(1, shape.features()), MAX_ARRAY);
      }
      default -> {
        return parameters() + 1 > MAX_ARRAY ? -1 : 1;
      }
    }
  }

  /**
   * Why this run cannot be laid out in Java arrays at all, as a sentence for the user, or null when
   * every block fits. Independent of the runner and the heap.
   */
  public String arrayProblem() {
    int needed = partitionsNeeded();
    if (needed >= 1 && needed <= partitions) {
      return null;
    }
    String limit = "more than one Java array holds (" + count(MAX_ARRAY) + ")";
    switch (model) {
      case SOFTMAX -> {
        if (needed < 0) {
          return shape.features() > MAX_ARRAY
              ? "a class row of W has D = " + count(shape.features()) + " weights, " + limit
                  + ", and no partition count helps (softmax blocks are whole classes): use fewer"
                  + " features"
              : "the margins of one class for " + count(shape.examples()) + " examples are "
                  + limit + ": use fewer examples";
        }
        long classesPerBlock = ceilDiv(shape.classes(), partitions);
        boolean byFeatures = shape.features() >= shape.examples();
        long other = byFeatures ? shape.features() : shape.examples();
        return "with --partitions " + partitions + " a block holds " + count(classesPerBlock)
            + " classes x " + count(other) + (byFeatures ? " features" : " examples (margins)")
            + " = " + count(mul(classesPerBlock, other)) + " doubles, " + limit
            + ": use --partitions " + needed + " or more";
      }
      case LINEAR -> {
        if (needed < 0) {
          return "the margins of " + count(shape.examples()) + " examples are " + limit;
        }
        return "with --partitions " + partitions + " a block holds " + count(ceilDiv(
            shape.features(), partitions)) + " features, " + limit + ": use --partitions "
            + needed + " or more";
      }
      default -> {
        return "the network's " + count(parameters()) + " parameters are " + limit
            + " (theta is assembled whole for every evaluation): use fewer features or smaller"
            + " hidden layers";
      }
    }
  }

  /**
   * One line, in ASCII: what the run needs and of what, e.g. "about 20.6 GB per worker (6 working +
   * 2x5 history = 16 vectors of 3 x 50,000,000 doubles, 17.9 GB; margins, data, JVM 0.1 GB; +
   * 15%)".
   */
  public String describe() {
    Term working = terms.get(0);
    Term historyTerm = terms.get(1);
    long rest = 0;
    for (Term t : terms.subList(2, terms.size())) {
      rest = saturatedAdd(rest, t.bytes());
    }
    int vectors = runner.workingVectors() + runner.historyVectors(history);
    String length = model == Model.SOFTMAX
        ? count(shape.classes()) + " x " + count(shape.features()) : count(parameters());
    String historyText = runner.extraPairs == 0 ? "2x" + history
        : "2(" + history + "+" + runner.extraPairs / 2 + ")";
    StringBuilder sb = new StringBuilder();
    sb.append("about ").append(gb(requiredHeap())).append(" per worker (")
        .append(runner.workingVectors()).append(" working + ").append(historyText)
        .append(" history = ").append(vectors).append(" vectors of ").append(length)
        .append(" doubles, ").append(gb(saturatedAdd(working.bytes(), historyTerm.bytes())));
    List<String> others = new ArrayList<>();
    for (Term t : terms.subList(2, terms.size())) {
      others.add(t.name());
    }
    sb.append("; ").append(String.join(", ", others)).append(' ').append(gb(rest))
        .append("; + ").append(Math.round(MARGIN * 100)).append("%)");
    return sb.toString();
  }

  /** Bytes as GB of 2<sup>30</sup>, one decimal: "46.2 GB". */
  public static String gb(long bytes) {
    return String.format(Locale.ROOT, "%.1f GB", bytes / GB);
  }

  /** The smallest whole number of GB (2<sup>30</sup> bytes) at or above {@code bytes}. */
  public static long wholeGb(long bytes) {
    return ceilDiv(bytes, 1L << 30);
  }

  @Override
  public String toString() {
    return "MemoryPlan{" + model + ", " + shape + ", m=" + history + ", P=" + partitions + ", "
        + runner + ": " + bytes + " bytes " + terms + "}";
  }

  private List<Term> count() {
    long n = parameters();
    String length = model == Model.SOFTMAX
        ? count(shape.classes()) + " x " + count(shape.features()) : count(n);
    List<Term> out = new ArrayList<>();
    int working = runner.workingVectors();
    int historyVectors = runner.historyVectors(history);
    out.add(new Term("vectors", doubles(working, n), working + " vectors of " + length
        + " doubles"));
    out.add(new Term("history", doubles(historyVectors, n), historyVectors + " vectors of "
        + length + " doubles"));
    long examples = shape.examples();
    long nnz = shape.nonzeros();
    long csr = saturatedAdd(mul(12, nnz), mul(8, examples));
    switch (model) {
      case SOFTMAX -> {
        long margins = mul(examples, shape.classes());
        long statistics = saturatedAdd(mul(3 * (long) partitions, examples), examples);
        out.add(new Term("margins", saturatedAdd(doubles(6, margins), doubles(1, statistics)),
            "6 x " + count(examples) + " x " + count(shape.classes()) + " doubles, statistics "
                + count(statistics)));
        out.add(new Term("data", mul(runner.dataCopies(), csr), runner.dataCopies()
            + " copies of " + count(nnz) + " nonzeros"));
      }
      case LINEAR -> {
        long margins = mul(examples, partitions);
        out.add(new Term("margins", saturatedAdd(doubles(6, margins), doubles(2, examples)),
            "6 x " + count(examples) + " x " + partitions + " doubles"));
        long transpose = saturatedAdd(saturatedAdd(mul(12, nnz), mul(8, shape.features())),
            mul(8, examples));
        out.add(new Term("data", mul(runner.dataCopies(), saturatedAdd(csr, transpose)),
            runner.dataCopies() + " copies of " + count(nnz) + " nonzeros and their transpose"));
      }
      case NETWORK -> {
        int concurrent = Math.min(threads, network.shards());
        int vectors = network.shards() + concurrent + 3;
        long rows = Math.min(network.batchSize(), examples);
        long activations = mul(mul(3L * concurrent, rows), network.units());
        out.add(new Term("evaluation", saturatedAdd(doubles(vectors, n), doubles(1, activations)),
            vectors + " vectors and " + count(activations) + " activations"));
        long dense = saturatedAdd(mul(8, mul(examples, shape.features())), mul(4, examples));
        if (network.oneHotTargets()) {
          dense = saturatedAdd(dense, mul(8, mul(examples, shape.classes())));
        }
        out.add(new Term("data", mul(runner.dataCopies(), saturatedAdd(csr, dense)),
            runner.dataCopies() + " copies of " + count(nnz) + " nonzeros and "
                + count(examples) + " x " + count(shape.features()) + " dense"));
      }
      default -> throw new IllegalStateException("unknown model " + model);
    }
    out.add(new Term("JVM", runner.frameworkMb * MB, runner.frameworkMb + " MB"));
    return out;
  }

  private static long doubles(long count, long length) {
    return mul(8, mul(count, length));
  }

  private static long mul(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }

  private static long saturatedAdd(long a, long b) {
    long s = a + b;
    return s < 0 ? Long.MAX_VALUE : s;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static String count(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }
}
