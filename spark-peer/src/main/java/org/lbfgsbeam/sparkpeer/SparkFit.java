package org.lbfgsbeam.sparkpeer;

import java.util.List;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One timed {@code LogisticRegression.fit} with the settings that make Spark's objective
 * lbfgs-beam's (see {@link SparkSoftmaxPeer}), and what it did: Spark's {@code objectiveHistory},
 * the wall time of {@code fit} itself, the Spark jobs it ran ({@link JobLog}) and breeze's stop
 * reason ({@link BreezeStopReason}).
 *
 * <p>{@code objectiveHistory} holds the value of every state breeze's iterator produced: entry 0 is
 * the start, and each later entry either an iteration (a line search that succeeded, so the value
 * went strictly down: strong Wolfe's sufficient decrease) or a <em>reset</em>: when a line search
 * fails breeze emits a copy of the previous state with its L-BFGS history cleared, same value, same
 * iteration number. So entry i is a reset exactly when it equals entry i-1, and breeze's iteration
 * count at entry i ({@link #iterationAt}), the count its {@code maxIter} limits, is i minus the
 * resets up to i.
 */
record SparkFit(LogisticRegressionModel model, double[] objectiveHistory, double seconds,
    long startMillis, List<JobLog.Job> jobs, String stopMessage) {

  static SparkFit run(SparkSession spark, Dataset<Row> frame, JobLog log, BreezeStopReason stop,
      String group, double lambda, int maxIterations, double tolerance)
      throws InterruptedException {
    LogisticRegression lr = new LogisticRegression()
        .setFamily("multinomial")
        .setFitIntercept(false)
        .setStandardization(false)
        .setRegParam(lambda)
        .setElasticNetParam(0.0)
        .setMaxIter(maxIterations)
        .setTol(tolerance)
        .setLabelCol("label")
        .setFeaturesCol("features");
    stop.reset();
    spark.sparkContext().setJobGroup(group, group, false);
    long startMillis = System.currentTimeMillis();
    long start = System.nanoTime();
    LogisticRegressionModel model;
    try {
      model = lr.fit(frame);
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    log.drain(spark.sparkContext());
    return new SparkFit(model, model.summary().objectiveHistory(), seconds, startMillis,
        log.jobs(group), stop.message());
  }

  /** Breeze's iterations: successful line searches, what {@code maxIter} counts. */
  int iterations() {
    return iterationAt(objectiveHistory.length - 1);
  }

  /** The resets of the L-BFGS history after a failed line search. */
  int resets() {
    return objectiveHistory.length - 1 - iterations();
  }

  /** Breeze's iteration number at entry {@code index} of the objective history. */
  int iterationAt(int index) {
    int iteration = 0;
    for (int i = 1; i <= index; i++) {
      if (objectiveHistory[i] != objectiveHistory[i - 1]) {
        iteration++;
      }
    }
    return iteration;
  }

  double finalObjective() {
    return objectiveHistory[objectiveHistory.length - 1];
  }

  /** The loss+gradient evaluations: the fit's RDDLossFunction jobs. */
  List<JobLog.Job> evaluations() {
    return jobs.stream().filter(JobLog.Job::isEvaluation).toList();
  }

  /** The model's K x D coefficients, row-major ({@code w[k * D + j]}). */
  double[] rowMajorCoefficients() {
    DenseMatrix m = model.coefficientMatrix().toDense();
    int k = m.numRows();
    int d = m.numCols();
    double[] w = new double[k * d];
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < d; j++) {
        w[c * d + j] = m.apply(c, j);
      }
    }
    return w;
  }
}
