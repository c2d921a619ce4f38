package org.lbfgsbeam.core.exec;

import java.util.function.Function;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.data.SyntheticTextGenerator;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsDriver;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;

/**
 * Runs short L-BFGS runs of the same kind as the real one on a small synthetic text set, in one
 * background thread, while the driver does something that leaves a core idle (reading the data,
 * which is one thread per file): the JIT compiles the kernels (margins, log-sum-exp, gradient,
 * Gram, direction, commit, line search) before the real run needs them.
 *
 * <p>Why: HotSpot compiles a method fully (C2) only after about 600 invocations
 * ({@code Tier4MinInvocationThreshold}) and its hot loops, on-stack, after thousands of back
 * edges. A run of 20 evaluations calls each kernel a few dozen times, so without this it spends
 * its first evaluations in the interpreter and in C1 code, with the compiler threads competing with
 * the block threads for the same two cores. Measured on text-63k (issue 13): a cold run's local
 * evaluations took 0.099&ndash;0.105 s, a warm JVM's 0.063 s (kernel floor 0.041 s).
 *
 * <p>Nothing here touches the real run: a separate objective on separate data, a separate
 * executor, no shared state. The compiled code computes the same bits as the interpreter (Java's
 * floating point is strict), so warm or cold, a run ends on the same weights.
 *
 * <p>{@link #close} stops the runs after the evaluation in progress (a few milliseconds at this
 * size) and waits for the thread, so that the real run has both cores. The warm-up also stops on
 * its own after {@link #MAX_EVALUATIONS} evaluations, enough for the compiles, so that reading a
 * large set in parallel shards does not share its cores with it for long.
 */
public final class JitWarmUp implements AutoCloseable {
  /** Evaluations after which the warm-up stops by itself: well past 600 calls of every kernel. */
  static final int MAX_EVALUATIONS = 1_500;
  /** Iterations of one warm-up run; the runs repeat from the start until stopped. */
  static final int ITERATIONS_PER_RUN = 40;
  /** The most classes of the synthetic set (300 documents, 200 features). */
  public static final int MAX_CLASSES = 24;

  private final Thread thread;
  private final long started = System.nanoTime();
  private volatile boolean stop;
  private volatile int evaluations;
  private volatile Throwable failure;

  private JitWarmUp(Function<SparseDataset, PartitionedObjective> objectiveOf,
      LbfgsOptions options, int classes) {
    this.thread = new Thread(() -> run(objectiveOf, options, classes), "jit-warm-up");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
  }

  /**
   * Starts warming up the kernels of {@code objectiveOf}'s objective, as an L-BFGS run with {@code options} (history, line search; the iteration limits are the
   * warm-up's own).
   *
   * @param objectiveOf builds the run's kind of objective (softmax, logistic, ...) on a data set,
   *     split into blocks as the run's
   * @param classes the synthetic set's classes: 2 for a logistic regression, at most
   *     {@link #MAX_CLASSES}; a softmax's blocks must not outnumber them
   */
  public static JitWarmUp start(Function<SparseDataset, PartitionedObjective> objectiveOf,
      LbfgsOptions options, int classes) {
    org.lbfgsbeam.core.Checks.checkArgument(classes >= 2 && classes <= MAX_CLASSES,
        "warm-up classes must be in [2, %s], but was: %s", MAX_CLASSES, classes);
    JitWarmUp warmUp = new JitWarmUp(objectiveOf, options, classes);
    warmUp.thread.start();
    return warmUp;
  }

  /** A warm-up that does nothing, for runs whose kernels it does not cover. */
  public static AutoCloseable none() {
    return () -> { };
  }

  private void run(Function<SparseDataset, PartitionedObjective> objectiveOf,
      LbfgsOptions options, int classes) {
    try {
      // About 8 nonzeros per document, as text; small, so that an evaluation takes about a
      // millisecond and the kernels reach their compile thresholds while the data is read.
      SparseDataset data = SyntheticTextGenerator.of(300, 200, classes).withWordsPerDocument(8)
          .withSeed(13).generate();
      PartitionedObjective objective = objectiveOf.apply(data);
      LbfgsOptions warm = options.withMaxIterations(ITERATIONS_PER_RUN).withGradientTolerance(0)
          .withProgressTolerance(0);
      LbfgsCoordinator coordinator = new LbfgsCoordinator(warm);
      IterationListener quiet = state -> { };
      while (!stop && evaluations < MAX_EVALUATIONS) {
        try (LocalExecutor executor = LocalExecutor.fromObjectiveStart(objective, 1)) {
          LbfgsState state = coordinator.start();
          while (!stop && !state.finished() && evaluations < MAX_EVALUATIONS) {
            state = LbfgsDriver.step(coordinator, state, executor, quiet);
            evaluations = completed + state.evaluations();
          }
          completed = evaluations;
        }
      }
    } catch (Throwable t) { // a warm-up never fails the run; tests read it
      failure = t;
    } finally {
      stoppedAfterSeconds = (System.nanoTime() - started) / 1e9;
    }
  }

  private int completed;

  private volatile double stoppedAfterSeconds = -1;

  /** What the warm-up did, for a trace: "warm-up: 1500 evaluations, stopped at 0.912 s". */
  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "warm-up: %d evaluations, %s%s", evaluations,
        stoppedAfterSeconds < 0 ? "running" : String.format(java.util.Locale.ROOT,
            "stopped at %.3f s", stoppedAfterSeconds),
        failure == null ? "" : ", failed: " + failure);
  }

  /** Evaluations made so far (for tests and traces). */
  public int evaluations() {
    return evaluations;
  }

  /** What ended the warm-up early with an exception, or null (for tests). */
  public Throwable failure() {
    return failure;
  }

  /** Stops after the evaluation in progress and waits for the thread. */
  @Override
  public void close() {
    stop = true;
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
