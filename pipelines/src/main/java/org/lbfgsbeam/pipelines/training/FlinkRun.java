package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.pipelines.cli.TrainOptions;
import org.lbfgsbeam.pipelines.flink.FlinkCheckpoints;
import org.lbfgsbeam.pipelines.flink.FlinkLbfgsJob;
import org.lbfgsbeam.pipelines.flink.FlinkSession;
import org.lbfgsbeam.transforms.BlockFiles;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * The Flink side of {@code train}: {@code --runner flink} submits the whole run as one bulk-iteration
 * job ({@link FlinkLbfgsJob}) to an embedded mini-cluster or to {@code --flink-master host:port}, tails
 * its progress rows, and reads back the final state and blocks; {@code --runner beam-flink} gives the
 * Beam superstep pipelines FlinkRunner options. The job writes a {@link Checkpoint} every {@code
 * --checkpoint-every} iterations into the run's state directory, and a resumed run's job starts from
 * the last one ({@link org.lbfgsbeam.pipelines.flink.FlinkCheckpoints}): on a cluster of several
 * machines, {@code --output} must be on a filesystem that every TaskManager shares.
 */
public final class FlinkRun {
  private FlinkRun() {}

  /**
   * What the Flink job left behind.
   *
   * @param restarts the job's restarts (its coordinator's attempt number at the end)
   * @param speculativePasses the speculative gradient passes the line search dropped
   *     ({@code SlopeAndGradient})
   * @param barriers the bulk supersteps of the attempt that finished (one barrier each)
   * @param droppedGramPasses the nodes' speculative Gram passes that did not apply to the next
   *     superstep ({@code SpeculativeGram})
   */
  record Outcome(LbfgsState state, double[][] weights, int restarts, int speculativePasses,
      int barriers, int droppedGramPasses) {}

  /**
   * @param start the state to start from: the coordinator's start, or a checkpoint's state whose
   *     vectors are in {@code workDirectory}
   * @param base what the run had before this job ({@link Checkpoint#control}), which the job's
   *     checkpoints extend
   */
  static Outcome run(TrainOptions o, ObjectiveSpec spec, LbfgsState start, Path workDirectory,
      List<TraceRow> trace, ObjectNode base, PrintStream progress) throws Exception {
    ObjectMapper json = StateJson.mapper();
    String work = workDirectory.toAbsolutePath().toString();
    int maxSupersteps = o.optimizer().maxEvaluations() + o.optimizer().maxIterations() + 2;
    long started = System.currentTimeMillis();
    double secondsBefore = base.path("seconds").asDouble(0);
    FlinkLbfgsJob.Spec job = new FlinkLbfgsJob.Spec(spec, o.optimizer(),
        json.writeValueAsString(start), work, maxSupersteps,
        new FlinkCheckpoints(work, o.checkpointEvery(), o.checkpointMinutes(),
            json.writeValueAsString(base), started));
    Path progressFile = FlinkLbfgsJob.progressFile(work);
    Files.deleteIfExists(progressFile);
    TreeMap<Integer, TraceRow> rows = new TreeMap<>();
    try (FlinkSession session = FlinkSession.open(o.flinkMaster(), o.threads(), "--threads",
        progress)) {
      ExecutionEnvironment env = session.environment();
      FlinkLbfgsJob.plan(env, job);
      session.execute(env, "lbfgs-beam train " + o.data().getFileName(), workDirectory,
          () -> printNew(progressFile, rows, started, secondsBefore, progress), progress);
    }
    trace.addAll(rows.values());
    LbfgsState state = json.readValue(FlinkLbfgsJob.finalState(work).toFile(), LbfgsState.class);
    double[][] weights = new double[spec.blocks()][];
    for (int b = 0; b < weights.length; b++) {
      weights[b] = BlockFiles.read(work, FlinkLbfgsJob.finalVector(), b);
    }
    int restarts = Integer.parseInt(Files.readString(FlinkLbfgsJob.finalAttempt(work)).strip());
    String[] counts = Files.readString(FlinkLbfgsJob.jobCountsFile(work)).strip().split(" ");
    return new Outcome(state, weights, restarts, Integer.parseInt(counts[0]),
        Integer.parseInt(counts[1]), Integer.parseInt(counts[2]));
  }

  /** Reads progress rows not seen yet (a restarted attempt rewrites them: the latest wins). */
  private static void printNew(Path file, TreeMap<Integer, TraceRow> rows, long started,
      double secondsBefore, PrintStream progress) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (java.nio.file.NoSuchFileException e) {
      return;
    }
    for (String line : lines) {
      String[] f = line.split(",");
      if (f.length != 6) {
        continue; // a row being written
      }
      TraceRow row = new TraceRow(Integer.parseInt(f[0]), Integer.parseInt(f[1]),
          Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
          secondsBefore + (Long.parseLong(f[5]) - started) / 1e3);
      TraceRow old = rows.put(row.iteration(), row);
      if (old == null && row.iteration() > 0) {
        TrainCommand.printProgress(progress, row);
      }
    }
  }

  /** FlinkRunner options for the Beam superstep pipelines. */
  static PipelineOptions beamOptions(TrainOptions o) {
    FlinkPipelineOptions options = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster(o.flinkMaster());
    options.setParallelism(o.threads());
    // No DoFn here modifies its input (TestPipeline's immutability enforcement checks that), so the
    // defensive copies between chained operators are not needed.
    options.setFasterCopy(true);
    // A superstep graph branches and joins again (diamonds through side inputs and CoGroupByKey);
    // pipelined exchanges then can deadlock once blocks outgrow the network buffers (seen on
    // synth-medium: a superstep stalled for minutes). Blocking exchanges cannot.
    options.setExecutionModeForBatch(org.apache.flink.api.common.ExecutionMode.BATCH_FORCED.name());
    // Never the whole classpath (NOTES-beam-flink.md: 13-17 s a run). A cluster started from
    // flink-conf/ has Beam on its classpath and needs only this project's classes; any other
    // cluster gets the whole runnable jar (--beam-on-cluster false).
    if (o.flinkMaster().equals(FlinkSession.EMBEDDED)) {
      options.setFilesToStage(new ArrayList<>());
      // Beam's embedded cluster starts with Flink's default 64 MB of network buffers, too few for a
      // superstep graph at higher parallelism or partition counts ("Timeout triggered when
      // requesting exclusive buffers"): give it the network memory flink-conf/ gives a TaskManager.
      options.setFlinkConfDir(embeddedConfDir());
    } else {
      try {
        String jar = FlinkSession.jobJar();
        options.setFilesToStage(List.of(o.beamOnCluster() ? ThinJar.path(jar) : jar));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return options;
  }

  private static String embeddedConf;

  /**
   * A Flink configuration directory for Beam's embedded clusters, written once per JVM, with their
   * {@code io.tmp.dirs} inside it (where each mini-cluster unpacks its 22 MB {@code flink-rpc-akka}
   * jar and keeps its {@code minicluster_*} folder): the whole directory is removed at JVM exit.
   */
  private static synchronized String embeddedConfDir() {
    if (embeddedConf == null) {
      try {
        Path dir = Files.createTempDirectory("lbfgs-beam-flink-conf");
        Path temporaryFiles = Files.createDirectory(dir.resolve("tmp"));
        Files.writeString(dir.resolve("flink-conf.yaml"), String.join("\n",
            "taskmanager.memory.network.min: 384m",
            "taskmanager.memory.network.max: 384m",
            "taskmanager.memory.managed.size: 256m",
            "io.tmp.dirs: " + temporaryFiles, ""));
        FlinkSession.removeAtExit(dir);
        embeddedConf = dir.toString();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return embeddedConf;
  }
}
