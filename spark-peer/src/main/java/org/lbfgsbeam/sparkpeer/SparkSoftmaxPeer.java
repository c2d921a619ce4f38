package org.lbfgsbeam.sparkpeer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Spark MLlib's multinomial logistic regression on lbfgs-beam's problem, as the Spark peer of the
 * {@code bench} command: the same LIBSVM file, the same objective, the same f* target, in
 * {@code local[N]} Spark in this JVM.
 *
 * <h2>The objective is lbfgs-beam's</h2>
 * With unit instance weights, {@code LogisticRegression} with {@code family=multinomial},
 * {@code fitIntercept=false}, {@code regParam=λ} and {@code elasticNetParam=α=0} minimises
 *
 * <pre>
 *   (1/N) Σ_i [ log Σ_k exp(w_k · x_i) − w_{y_i} · x_i ]  +  λ [ α ‖W‖₁ + (1−α)/2 ‖W‖²_F ]
 *   = (1/N) Σ_i [ log Σ_k exp(w_k · x_i) − w_{y_i} · x_i ]  +  λ/2 ‖W‖²_F
 * </pre>
 *
 * W is K x D with one row per class and no pivot class, which is lbfgs-beam's f(W). Spark
 * always trains in a scaled space, x̃_j = x_j / σ_j and w̃_j = σ_j w_j (σ_j the standard deviation of
 * column j); with {@code standardization=false} it penalises Σ (w̃_j / σ_j)² = ‖W‖²_F, so the
 * function is unchanged and only breeze's path differs (a diagonal change of variables). Two
 * differences remain: a column with σ_j = 0 is held at w_j = 0 (right for a column that is zero in
 * every row, whose optimal weight is 0; wrong for a column that is the same nonzero value in every
 * row, which Spark warns about), and breeze's L-BFGS keeps m = 10 pairs (fixed in Spark) against
 * lbfgs-beam's {@code --history}. The objective is therefore recomputed here from the fitted
 * {@code coefficientMatrix} by {@link SoftmaxObjective} and printed beside Spark's last
 * {@code objectiveHistory} value; they agree to rounding when the two functions are the same.
 *
 * <p>The file is read by {@link LibsvmFile} with lbfgs-beam's conventions (classes 0..K-1 in
 * sorted label order, first label of a multi-label line, D the largest 1-based index), not by
 * Spark's {@code libsvm} source, and becomes a DataFrame of (label double, features sparse vector
 * of size D) in N partitions, cached and counted before anything is timed ({@code loadSeconds}).
 *
 * <h2>What is measured</h2>
 * <ul>
 *   <li>A one-iteration fit runs first, untimed ({@code warmUpSeconds}), so that class loading and
 *       the JIT of the fit's code path fall in neither timed fit.
 *   <li>{@code seconds}: the wall time of one {@code fit} call to breeze's own stop
 *       ({@code --max-iterations}, {@code --tolerance}); it includes Spark's set-up passes
 *       (feature statistics, blockifying and caching the scaled data) as they are part of a fit.
 *   <li>{@code evaluations}: that fit's loss+gradient evaluations, counted as its Spark jobs named
 *       {@code treeAggregate at RDDLossFunction} ({@link JobLog} explains why that is breeze's
 *       evaluation count); {@code iterations}: breeze's iterations, the entries of
 *       {@code objectiveHistory} after the first that are not resets after a failed line search
 *       ({@code historyResets}, see {@link SparkFit}).
 *   <li>Time to target: Spark reports no time per iteration. k is the first iteration whose
 *       {@code objectiveHistory} value is ≤ f*(1+1e-6) (k counted as {@code maxIter} counts); a
 *       second fit with {@code maxIter = k}
 *       follows the same path and stops there, and its wall time is {@code secondsToTarget} (its
 *       evaluation jobs {@code evaluationsToTarget}). Its final objective must equal entry k of the
 *       first fit; the relative difference is reported ({@code targetRunRelativeDifference}).
 *       {@code secondsToTargetInLongFit} is the same point read from the first fit's job log: the
 *       end of its {@code evaluationsToTarget}-th evaluation job, from the start of {@code fit}.
 *   <li>{@code peakRssBytes}: VmHWM of /proc/self/status at the end (the whole process: Spark's
 *       driver and executor are this JVM).
 *   <li>{@code stopMessage}: breeze's reason ({@link BreezeStopReason}).
 * </ul>
 */
public final class SparkSoftmaxPeer {
  private static final double TARGET = 1 + 1e-6;
  private static final String WARM_UP = "warm-up";
  private static final String LONG_FIT = "fit";
  private static final String TARGET_FIT = "fit-to-target";

  private SparkSoftmaxPeer() {}

  /** What a run measured; {@code json} is what summary.json holds. */
  record Result(String sparkVersion, double finalObjective, double recomputedObjective,
      int iterations, int evaluations, double seconds, Integer iterationsToTarget,
      Double secondsToTarget, double targetRunRelativeDifference, String stopMessage,
      JsonObject json) {}

  public static void main(String[] args) {
    List<String> list = Arrays.asList(args);
    if (list.contains("--help")) {
      System.out.println(PeerOptions.HELP);
      System.exit(0);
    }
    try {
      Result r = run(PeerOptions.parse(list));
      System.out.println(humanLine(r));
      System.exit(0);
    } catch (PeerOptions.UsageException e) {
      System.err.println("spark-peer: " + e.getMessage() + " (see --help)");
      System.exit(2);
    } catch (Exception e) {
      System.err.println("spark-peer: failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  /** Reads, fits twice, checks and writes {@code output/summary.json}. */
  static Result run(PeerOptions o) throws IOException, InterruptedException {
    // Netty (Spark's RPC) reaches its direct buffers by reflection on Java 17 only if told so.
    System.setProperty("io.netty.tryReflectionSetAccessible", "true");
    Files.createDirectories(o.output());
    long parseStart = System.nanoTime();
    LibsvmFile data = LibsvmFile.read(o.data());
    double parseSeconds = (System.nanoTime() - parseStart) / 1e9;

    long sparkStart = System.nanoTime();
    SparkSession spark = SparkSession.builder()
        .master("local[" + o.threads() + "]")
        .appName("lbfgs-spark-peer")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", Runtime.getRuntime().maxMemory() / (1 << 20) + "m")
        .config("spark.driver.host", "localhost")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.default.parallelism", Integer.toString(o.threads()))
        .config("spark.sql.shuffle.partitions", Integer.toString(o.threads()))
        .getOrCreate();
    try {
      double sparkStartSeconds = (System.nanoTime() - sparkStart) / 1e9;
      JobLog log = new JobLog();
      spark.sparkContext().addSparkListener(log);
      BreezeStopReason stop = BreezeStopReason.install();

      long loadStart = System.nanoTime();
      Dataset<Row> frame = dataFrame(spark, data, o.threads()).cache();
      long examples = frame.count();
      double loadSeconds = parseSeconds + (System.nanoTime() - loadStart) / 1e9;
      if (examples != data.numExamples()) {
        throw new IllegalStateException("DataFrame has " + examples + " rows, file "
            + data.numExamples());
      }

      // One iteration first, untimed: class loading and the JIT of the fit's code path would
      // otherwise land in the first timed fit only, and make it slower than the second.
      SparkFit warmUp = SparkFit.run(spark, frame, log, stop, WARM_UP, o.lambda(), 1,
          o.tolerance());
      SparkFit fit = SparkFit.run(spark, frame, log, stop, LONG_FIT, o.lambda(),
          o.maxIterations(), o.tolerance());
      double target = o.reference() * TARGET;
      double[] history = fit.objectiveHistory();
      int k = -1;
      for (int i = 0; i < history.length; i++) {
        if (history[i] <= target) {
          k = i;
          break;
        }
      }
      // Entry k is never a reset (a reset repeats the value before it), so iterationAt(k) is an
      // iteration that a fit with maxIter = iterationAt(k) ends with.
      Integer iterationsToTarget = k > 0 ? fit.iterationAt(k) : null;
      SparkFit toTarget = k > 0 ? SparkFit.run(spark, frame, log, stop, TARGET_FIT, o.lambda(),
          iterationsToTarget, o.tolerance()) : null;
      double targetDifference = toTarget == null ? Double.NaN
          : Math.abs(toTarget.finalObjective() - history[k]) / Math.abs(history[k]);
      if (toTarget != null && !(targetDifference <= 1e-12)) {
        System.err.printf(Locale.ROOT, "spark-peer: warning: the fit with maxIter=%d ended at f = %s,"
            + " the first fit had %s at iteration %d (relative difference %.3g): the two fits"
            + " did not follow the same path%n", iterationsToTarget, toTarget.finalObjective(),
            history[k], iterationsToTarget, targetDifference);
      }
      double recomputed = SoftmaxObjective.value(data, o.lambda(), fit.rowMajorCoefficients());
      int evaluations = fit.evaluations().size();
      Integer evaluationsToTarget = toTarget == null ? null : toTarget.evaluations().size();
      Double secondsToTargetInLongFit = null;
      if (evaluationsToTarget != null && evaluationsToTarget > 0
          && evaluationsToTarget <= evaluations) {
        secondsToTargetInLongFit = (fit.evaluations().get(evaluationsToTarget - 1).endMillis()
            - fit.startMillis()) / 1e3;
      }

      writeTrace(o.output().resolve("trace.csv"), fit);
      writeJobs(o.output().resolve("jobs.csv"), fit, toTarget);
      long peakRss = PeakRss.bytes();
      JsonObject json = new JsonObject()
          .put("evaluations", evaluations)
          .put("iterations", fit.iterations())
          .put("seconds", fit.seconds())
          .putNullable("secondsToTarget", toTarget == null ? null : toTarget.seconds())
          .putNullable("evaluationsToTarget", evaluationsToTarget)
          .putNullable("iterationsToTarget", iterationsToTarget)
          .put("finalObjective", fit.finalObjective())
          .put("recomputedObjective", recomputed)
          .put("peakRssBytes", peakRss)
          .put("loadSeconds", loadSeconds)
          .put("sparkVersion", spark.version())
          .put("stopMessage", fit.stopMessage())
          .put("historyResets", fit.resets())
          .put("target", target)
          .put("reference", o.reference())
          .put("lambda", o.lambda())
          .put("threads", o.threads())
          .put("maxIterations", o.maxIterations())
          .put("tolerance", o.tolerance())
          .put("examples", data.numExamples())
          .put("features", data.numFeatures)
          .put("classes", data.numClasses())
          .put("sparkStartSeconds", sparkStartSeconds)
          .put("warmUpSeconds", warmUp.seconds())
          .put("fitJobs", fit.jobs().size())
          // Each job of the fit reads all the data once: the feature statistics, every evaluation.
          .put("dataPasses", fit.jobs().size())
          .put("meanEvaluationJobSeconds", fit.evaluations().stream()
              .mapToLong(j -> j.endMillis() - j.startMillis()).average().orElse(Double.NaN) / 1e3)
          .putNullable("secondsToTargetInLongFit", secondsToTargetInLongFit)
          .putNullable("targetRunObjective", toTarget == null ? null : toTarget.finalObjective())
          .put("targetRunRelativeDifference", targetDifference)
          .put("data", o.data().toAbsolutePath().normalize().toString());
      Files.writeString(o.output().resolve("summary.json"), json.text(), StandardCharsets.UTF_8);
      return new Result(spark.version(), fit.finalObjective(), recomputed, fit.iterations(),
          evaluations, fit.seconds(), iterationsToTarget,
          toTarget == null ? null : toTarget.seconds(), targetDifference, fit.stopMessage(), json);
    } finally {
      spark.stop();
    }
  }

  /**
   * (label, features) rows in {@code partitions} partitions of consecutive examples; label = class
   * index 0..K-1. The rows are built inside the tasks from a broadcast of the parsed file: rows
   * parallelized from a driver-side list would live in the RDD's partition objects, which every
   * task of every later job (each evaluation) ships again, cached or not.
   */
  static Dataset<Row> dataFrame(SparkSession spark, LibsvmFile data, int partitions) {
    JavaSparkContext context = new JavaSparkContext(spark.sparkContext());
    Broadcast<LibsvmFile> file = context.broadcast(data);
    long n = data.numExamples();
    List<Integer> ids = IntStream.range(0, partitions).boxed().toList();
    JavaRDD<Row> rows = context.parallelize(ids, partitions).flatMap(p ->
        rows(file.value(), (int) (p * n / partitions), (int) ((p + 1) * n / partitions)).iterator());
    StructType schema = new StructType(new StructField[] {
        new StructField("label", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("features", SQLDataTypes.VectorType(), false, Metadata.empty())});
    return spark.createDataFrame(rows, schema);
  }

  private static List<Row> rows(LibsvmFile data, int from, int to) {
    List<Row> rows = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      int start = data.rowOffsets[i];
      int end = data.rowOffsets[i + 1];
      rows.add(RowFactory.create((double) data.classes[i], Vectors.sparse(data.numFeatures,
          Arrays.copyOfRange(data.columns, start, end), Arrays.copyOfRange(data.values, start, end))));
    }
    return rows;
  }

  static String humanLine(Result r) {
    return String.format(Locale.ROOT, "spark %s: %d iterations, %d evaluations, %.2fs (stop: %s);"
        + " f = %s, recomputed %s; to f*(1+1e-6): %s", r.sparkVersion(), r.iterations(),
        r.evaluations(), r.seconds(), r.stopMessage(), r.finalObjective(),
        r.recomputedObjective(), r.iterationsToTarget() == null ? "not reached"
            : String.format(Locale.ROOT, "%d iterations, %.2fs", r.iterationsToTarget(),
                r.secondsToTarget()));
  }

  /** The objective history: entry, breeze iteration, value, whether the entry is a reset. */
  private static void writeTrace(Path file, SparkFit fit) throws IOException {
    double[] history = fit.objectiveHistory();
    StringBuilder sb = new StringBuilder("entry,iteration,objective,reset\n");
    for (int i = 0; i < history.length; i++) {
      sb.append(i).append(',').append(fit.iterationAt(i)).append(',').append(history[i])
          .append(',').append(i > 0 && history[i] == history[i - 1]).append('\n');
    }
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
  }

  /** Every job of both fits, times in seconds from the start of its fit. */
  private static void writeJobs(Path file, SparkFit fit, SparkFit toTarget) throws IOException {
    StringBuilder sb = new StringBuilder("fit,job,callSite,startSeconds,endSeconds\n");
    for (SparkFit f : toTarget == null ? List.of(fit) : List.of(fit, toTarget)) {
      for (JobLog.Job j : f.jobs()) {
        sb.append(j.group()).append(',').append(j.id()).append(',')
            .append(j.callSite().replace(',', ' ')).append(',')
            .append((j.startMillis() - f.startMillis()) / 1e3).append(',')
            .append((j.endMillis() - f.startMillis()) / 1e3).append('\n');
      }
    }
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
  }
}
