package org.lbfgsbeam.pipelines.flink;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;

/**
 * An embedded Flink mini-cluster that starts on a background thread the moment it is created, so that
 * its start-up (the RPC system, the blob and REST servers, a TaskManager with its network buffers:
 * seconds in a cold JVM) overlaps with what the client does before its job is ready: reading and
 * checking the data, writing the prepared data file, planning. Flink's own local environment starts
 * a mini-cluster only when the job is submitted ({@code PerJobMiniClusterFactory}), so that work
 * used to come after all of the client's.
 *
 * <p>Jobs are submitted through {@link #environment}: an {@link ExecutionEnvironment} whose executor
 * translates the plan to a job graph as Flink's local executor does and submits it to this cluster,
 * which waits for its start if it must. One TaskManager with {@code slots} slots, the RPC service
 * shared, a REST endpoint on a free port: the configuration of Flink's per-job mini-cluster.
 */
final class EmbeddedCluster implements AutoCloseable {
  private static final String EXECUTOR = "lbfgs-beam-embedded";

  private final Configuration configuration;
  private final CompletableFuture<MiniCluster> started;

  private EmbeddedCluster(Configuration configuration, CompletableFuture<MiniCluster> started) {
    this.configuration = configuration;
    this.started = started;
  }

  /**
   * Starts a mini-cluster of {@code slots} slots in the background.
   *
   * @param temporaryFiles the cluster's {@code io.tmp.dirs}
   */
  static EmbeddedCluster start(int slots, Path temporaryFiles) {
    Configuration conf = new Configuration();
    conf.setString("taskmanager.memory.managed.size", "256m");
    String network = networkMemoryMegabytes(slots) + "m";
    conf.setString("taskmanager.memory.network.min", network);
    conf.setString("taskmanager.memory.network.max", network);
    conf.setString("io.tmp.dirs", temporaryFiles.toString());
    conf.set(RestOptions.BIND_PORT, "0");
    MiniClusterConfiguration cluster = new MiniClusterConfiguration.Builder()
        .setConfiguration(conf)
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(slots)
        .setRpcServiceSharing(RpcServiceSharing.SHARED)
        .build();
    CompletableFuture<MiniCluster> started = CompletableFuture.supplyAsync(() -> {
      MiniCluster mini = new MiniCluster(cluster);
      try {
        StartupTrace.mark("mini-cluster starting");
        mini.start();
        StartupTrace.mark("mini-cluster started");
      } catch (Exception e) {
        throw new IllegalStateException("the embedded Flink mini-cluster did not start: "
            + e.getMessage(), e);
      }
      return mini;
    }, runnable -> {
      Thread t = new Thread(runnable, "start-flink-mini-cluster");
      t.setDaemon(true);
      t.start();
    });
    return new EmbeddedCluster(conf, started);
  }

  /**
   * The TaskManager's network memory for jobs of {@code slots} subtasks: 32 MB plus 4 MB per pair of
   * subtasks. Flink allocates all of it when the TaskManager starts (1,024 buffers of 32 KB in 32 MB),
   * which took 0.9 s of a cold start here at the 256 MB used before (a mini-cluster started in
   * 3.4 s with 256 MB, 2.6 s with 32 MB); what the jobs need grows with the all-to-all exchanges
   * between their p subtasks, about 2p + 8 buffers per input gate and p gates per exchange: 48 MB at
   * p = 2, 288 MB at p = 8.
   */
  static int networkMemoryMegabytes(int slots) {
    return 32 + 4 * slots * slots;
  }

  /** An environment whose jobs run on this cluster. */
  ExecutionEnvironment environment() {
    Configuration conf = new Configuration(configuration);
    conf.set(DeploymentOptions.TARGET, EXECUTOR);
    conf.set(DeploymentOptions.ATTACHED, true);
    PipelineExecutor executor = this::submit;
    PipelineExecutorFactory factory = new PipelineExecutorFactory() {
      @Override
      public String getName() {
        return EXECUTOR;
      }

      @Override
      public boolean isCompatibleWith(Configuration c) {
        return EXECUTOR.equals(c.get(DeploymentOptions.TARGET));
      }

      @Override
      public PipelineExecutor getExecutor(Configuration c) {
        return executor;
      }
    };
    PipelineExecutorServiceLoader loader = new PipelineExecutorServiceLoader() {
      @Override
      public PipelineExecutorFactory getExecutorFactory(Configuration c) {
        return factory;
      }

      @Override
      public Stream<String> getExecutorNames() {
        return Stream.of(EXECUTOR);
      }
    };
    return new ExecutionEnvironment(loader, conf, EmbeddedCluster.class.getClassLoader());
  }

  private CompletableFuture<JobClient> submit(Pipeline pipeline, Configuration conf,
      ClassLoader userCode) throws Exception {
    StartupTrace.mark("job planned");
    JobGraph job = PipelineExecutorUtils.getJobGraph(pipeline, conf, userCode);
    StartupTrace.mark("job graph built");
    MiniCluster mini = cluster();
    StartupTrace.mark("mini-cluster ready for the job");
    return mini.submitJob(job).thenApply(submitted -> new MiniClusterJobClient(
        submitted.getJobID(), mini, userCode,
        MiniClusterJobClient.JobFinalizationBehavior.NOTHING));
  }

  /** The started cluster; waits for its start, and rethrows its failure. */
  private MiniCluster cluster() throws Exception {
    try {
      return started.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /** Stops the cluster (once it has started). */
  @Override
  public void close() throws Exception {
    MiniCluster mini;
    try {
      mini = started.get();
    } catch (ExecutionException e) {
      return; // it never started
    }
    mini.close();
  }
}
