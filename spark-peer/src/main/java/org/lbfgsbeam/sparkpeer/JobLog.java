package org.lbfgsbeam.sparkpeer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.StageInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Every Spark job's start and end time, its job group and the call site of its last stage, from a
 * {@link SparkListener}. The times are the scheduler's own ({@code SparkListenerJobStart.time()},
 * taken when the DAG scheduler submits the job and when it sees the job end), so they do not depend
 * on when the listener bus delivers the events.
 *
 * <p>What is an evaluation: Spark's {@code LogisticRegression} hands breeze's L-BFGS an
 * {@code RDDLossFunction} wrapped in breeze's {@code CachedDiffFunction}. Each call of
 * {@code RDDLossFunction.calculate} (loss and gradient at one point) is one {@code treeAggregate}
 * over the cached training blocks, i.e. one Spark job whose result stage is named
 * {@code "treeAggregate at RDDLossFunction.scala:NN"}. The cache drops a repeated call at the last
 * point (breeze asks again for the value at the point its line search accepted), so these jobs are
 * exactly breeze's evaluations at distinct points: the initial point plus every line-search trial.
 * The other jobs of a fit are Spark's own set-up: one {@code treeAggregate at Summarizer} pass for
 * the feature means and standard deviations and the label histogram.
 *
 * <p>The listener bus is asynchronous; {@link #drain} runs a one-element marker job and waits until
 * its end has been delivered, after which every earlier event has been too (one queue, in order).
 */
final class JobLog extends SparkListener {
  /** One finished job; times in milliseconds since the epoch. */
  record Job(int id, String group, String callSite, long startMillis, long endMillis) {
    boolean isEvaluation() {
      return callSite.contains("RDDLossFunction");
    }
  }

  private static final String GROUP_PROPERTY = "spark.jobGroup.id";

  private final Map<Integer, Job> started = new ConcurrentHashMap<>();
  private final List<Job> finished = new ArrayList<>();
  private final Map<String, CountDownLatch> markers = new ConcurrentHashMap<>();
  private int markerCount;

  @Override
  public void onJobStart(SparkListenerJobStart event) {
    String group = event.properties() == null ? ""
        : event.properties().getProperty(GROUP_PROPERTY, "");
    String callSite = "";
    int lastStage = -1;
    for (StageInfo stage : CollectionConverters.asJava(event.stageInfos())) {
      if (stage.stageId() > lastStage) { // the result stage has the largest id
        lastStage = stage.stageId();
        callSite = stage.name();
      }
    }
    started.put(event.jobId(), new Job(event.jobId(), group, callSite, event.time(), -1));
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd event) {
    Job job = started.remove(event.jobId());
    if (job == null) {
      return;
    }
    Job done = new Job(job.id(), job.group(), job.callSite(), job.startMillis(), event.time());
    synchronized (finished) {
      finished.add(done);
    }
    CountDownLatch marker = markers.get(job.group());
    if (marker != null) {
      marker.countDown();
    }
  }

  /** Waits until every event of the jobs run so far has reached this listener. */
  void drain(SparkContext context) throws InterruptedException {
    String group = "lbfgs-peer-marker-" + (++markerCount);
    CountDownLatch latch = new CountDownLatch(1);
    markers.put(group, latch);
    context.setJobGroup(group, "listener-bus marker", false);
    try {
      new org.apache.spark.api.java.JavaSparkContext(context)
          .parallelize(List.of(1), 1).count();
    } finally {
      context.clearJobGroup();
    }
    if (!latch.await(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the Spark listener bus did not deliver the marker job's end");
    }
    markers.remove(group);
  }

  /** The finished jobs of one job group, by job id. */
  List<Job> jobs(String group) {
    synchronized (finished) {
      return finished.stream().filter(j -> j.group().equals(group))
          .sorted(java.util.Comparator.comparingInt(Job::id)).toList();
    }
  }
}
