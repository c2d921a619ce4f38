package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.exec.JitWarmUp;
import org.lbfgsbeam.core.exec.PhaseTimes;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.exec.SuperstepExecutor;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.core.partition.Partitioning;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.cli.Runner;
import org.lbfgsbeam.pipelines.cli.TrainOptions;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.data.DataShards;
import org.lbfgsbeam.pipelines.flink.FlinkRestEndpoint;
import org.lbfgsbeam.pipelines.flink.FlinkSession;
import org.lbfgsbeam.transforms.BeamSuperstepExecutor;
import org.lbfgsbeam.transforms.NetworkSpec;
import org.lbfgsbeam.transforms.ObjectiveCache;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * {@code train}: reads a LIBSVM or IDX file, or LIBSVM shards ({@link DataFiles}), runs distributed L-BFGS to a stop
 * reason on the chosen runner, and writes the run directory:
 * <ul>
 *   <li>{@code summary.json}: objective (17 significant digits), gradientNorm, iterations, evaluations,
 *       stopReason, parameters, classes, features, examples, partitions, runner, seconds, &hellip;</li>
 *   <li>{@code trace.csv}: one row per iteration ({@link TraceRow}); with {@code --validation} a last
 *       column, the accuracy of that iterate on the validation set. Iterate k is stored by the
 *       commit of the superstep after the one that accepted it, so its accuracy is computed then;
 *       {@code --runner flink} keeps its iterates inside one Flink job, so only its last row has
 *       one;</li>
 *   <li>{@code charts/}: PNG charts of the trace ({@link Charts});</li>
 *   <li>{@code model/}: the weights by block ({@link org.lbfgsbeam.transforms.LinearModelFiles});</li>
 *   <li>{@code state/}: the coordinator's state and the stored vectors ({@link Checkpoint}), which
 *       {@code --resume} continues from: updated after every superstep by the file-based runners
 *       (direct, beam-flink), every {@code --checkpoint-every} iterations by the runners that hold
 *       the vectors in memory (local, flink). All of them write the same layout, so a run
 *       checkpointed on one runner resumes on any other; a resumed run ends with the bits of an
 *       uninterrupted one, and summary.json counts its {@code resumes} (and, for flink, the Flink
 *       job {@code restarts} observed).</li>
 * </ul>
 * Bad input is reported before anything is written; a training set of one class is bad input for a
 * classifier ({@link DataFiles#requireTwoClasses}). With {@code --overwrite} the run is written
 * beside a non-empty output and replaces it only once it has finished ({@link RunDirectory}).
 * {@code --resume} with other data or options is refused naming what differs ({@link
 * ResumeCheck}). One progress line per iteration goes to stderr.
 */
public final class TrainCommand {
  private static final String CONTROL = Checkpoint.CONTROL;
  private static final String RUN = "run.json";

  private TrainCommand() {}

  /** What a finished run reports (also written as summary.json). */
  public record Outcome(ObjectNode summary, LbfgsState state, double[][] weights) {}

  /**
   * The environment variable that makes a {@code local} run print where its phases' time went
   * ({@link PhaseTimes}) on standard error at the end.
   */
  static final String LOCAL_TRACE = "LBFGS_LOCAL_TRACE";

  /**
   * Trains as {@code o} says. A run that replaces a non-empty {@code --output} ({@code
   * --overwrite}) writes beside it and takes its place only once it has finished ({@link
   * RunDirectory}).
   */
  public static Outcome run(TrainOptions o, PrintStream progress) throws Exception {
    try (RunDirectory dir = RunDirectory.open(o.output(), o.resume());
        // An embedded Flink cluster starts while the data is read (closed here if never used).
        FlinkSession.Early cluster = FlinkSession.startEarly(
            o.runner() == Runner.FLINK ? o.flinkMaster() : null, o.threads());
        // The kernels compile on a synthetic problem while the data is read (JitWarmUp).
        AutoCloseable warmUp = warmUp(o)) {
      Outcome outcome = run(o, dir, progress, warmUp);
      dir.commit(progress);
      return outcome;
    }
  }

  /** The run, written into {@code dir.path()}; messages name {@code --output}. */
  private static Outcome run(TrainOptions o, RunDirectory dir, PrintStream progress,
      AutoCloseable warmUp) throws Exception {
    Path out = o.output();
    Path work = dir.path(); // out itself unless the run replaces one
    Path stateDir = work.resolve("state");
    if (o.resume()) {
      if (!Files.isRegularFile(stateDir.resolve(CONTROL))) {
        throw new CommandLine.UsageException("nothing to resume: " + stateDir.resolve(CONTROL)
            + " does not exist (local and flink runs write it every --checkpoint-every iterations)");
      }
    } else if (Files.exists(out) && !isEmptyDirectory(out) && !o.overwrite()) {
      throw new CommandLine.UsageException("output " + out + " exists and is not empty"
          + " (use --overwrite to replace it or --resume to continue it)");
    }
    if ((o.runner() == Runner.FLINK || o.runner() == Runner.BEAM_FLINK)
        && !o.flinkMaster().equals(FlinkSession.EMBEDDED)) {
      // A cluster that is not there, or too small, is said before the data is read.
      FlinkRestEndpoint.at(o.flinkMaster()).awaitSlots(o.threads(), "--threads",
          FlinkRestEndpoint.SLOT_WAIT, progress);
    }
    // Read and check everything before writing anything.
    SparseDataset data = DataFiles.read(o.data(), o.labels());
    if (o.model() != ObjectiveSpec.Model.LEAST_SQUARES) { // a regression on the label's value
      DataFiles.requireTwoClasses(data, o.labels() != null ? o.labels() : o.data(),
          switch (o.model()) {
            case LOGISTIC -> "a logistic regression";
            case MLP -> "a network";
            default -> "a softmax";
          });
    }
    NetworkSpec network = networkFor(o, data);
    MemoryCheck.train(o, data, network, progress); // a run that cannot fit ends here, in one line
    MultilayerPerceptron net = null;
    if (network != null) {
      try {
        net = ObjectiveCache.networkOf(network, data);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.UsageException(e.getMessage());
      }
    }
    ValidationScorer validation = o.validation() == null ? null : ValidationScorer.prepare(
        o.validation(), DataFiles.read(o.validation(), null), data, o.model(), net);
    Path preparedData = stateDir.resolve("data.bin").toAbsolutePath();
    ObjectiveSpec spec = new ObjectiveSpec(o.model(), o.lambda(), o.partitions(),
        preparedData.toString(), network);
    PartitionedObjective objective;
    try {
      objective = ObjectiveCache.build(spec, data);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
    Partitioning partitioning = objective.partitioning();
    ObjectMapper json = StateJson.mapper();
    ObjectNode runDescription = describe(o, data, network, net, json);

    LbfgsCoordinator coordinator = new LbfgsCoordinator(o.optimizer());
    LbfgsState state;
    List<TraceRow> trace = new ArrayList<>();
    double secondsBefore = 0;
    int resumes = 0;
    int restarts = 0; // Flink job restarts, across resumes
    if (o.resume()) {
      // Compare as read back from text, so that number node types (int/long) do not matter.
      ResumeCheck.requireSameRun(json.readTree(stateDir.resolve(RUN).toFile()),
          json.readTree(json.writeValueAsString(runDescription)), out);
      JsonNode control = json.readTree(stateDir.resolve(CONTROL).toFile());
      state = json.treeToValue(control.get("state"), LbfgsState.class);
      if (state.finished()) {
        throw new CommandLine.UsageException("the run in " + out + " has already finished ("
            + state.stopReason() + ")");
      }
      secondsBefore = control.get("seconds").asDouble();
      resumes = control.path("resumes").asInt(0) + 1;
      restarts = control.path("restarts").asInt(0);
      for (JsonNode row : control.get("trace")) {
        trace.add(json.treeToValue(row, TraceRow.class));
      }
      progress.printf(Locale.ROOT, "resuming %s at superstep %d (iteration %d, %d evaluations)%n",
          out, state.pending() == null ? state.nextSuperstep() : state.pending().number(),
          state.iteration(), state.evaluations());
    } else {
      dir.create();
      Files.createDirectories(stateDir);
      json.writerWithDefaultPrettyPrinter().writeValue(stateDir.resolve(RUN).toFile(), runDescription);
      state = coordinator.start();
    }

    // An embedded flink job runs in this JVM: its workers take the objective built above (no
    // prepared data file written and read back, no second copy of the data). Elsewhere the
    // workers read the prepared data file.
    boolean lend = o.runner() == Runner.FLINK && FlinkSession.EMBEDDED.equals(o.flinkMaster());
    if (o.runner() != Runner.LOCAL && !lend
        && !(o.resume() && Files.isRegularFile(preparedData))) {
      // Also on resume when the run began on the local runner, which needs no prepared data.
      Path partial = preparedData.resolveSibling(preparedData.getFileName() + ".tmp");
      try (OutputStream stream = Files.newOutputStream(partial)) {
        DatasetFile.write(data, stream);
      }
      Files.move(partial, preparedData, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
    warmUp.close(); // the run gets every core
    if ("trace".equals(System.getenv("LBFGS_BEAM_WARMUP"))) {
      System.err.println(warmUp);
    }
    long started = System.nanoTime();
    long lastCheckpoint = System.currentTimeMillis(); // the time-based interval runs from the start
    int supersteps = 0;
    int speculativePasses = 0;
    int barriers = 0;
    int droppedGramPasses = 0;
    double[][] weights;
    if (o.runner() == Runner.FLINK) {
      FlinkRun.Outcome flink;
      try (AutoCloseable lent = lend ? ObjectiveCache.lend(spec, objective) : () -> { }) {
        flink = FlinkRun.run(o, spec, state, stateDir, trace,
            Checkpoint.control(json, state, secondsBefore, trace, resumes, restarts), progress);
      }
      state = flink.state();
      weights = flink.weights();
      restarts += flink.restarts();
      supersteps = (int) state.nextSuperstep();
      speculativePasses = flink.speculativePasses();
      barriers = flink.barriers();
      droppedGramPasses = flink.droppedGramPasses();
    } else {
      SuperstepExecutor executor;
      BeamSuperstepExecutor beam = null;
      LocalExecutor local = null;
      PhaseTimes phaseTimes = null;
      if (o.runner() == Runner.LOCAL) {
        local = o.resume() ? LocalExecutor.restore(objective,
            Checkpoint.readVectors(stateDir, state, partitioning.blocks()), o.threads())
            : LocalExecutor.fromObjectiveStart(objective, o.threads());
        if (System.getenv(LOCAL_TRACE) != null) {
          phaseTimes = new PhaseTimes();
          local.timePhases(phaseTimes);
        }
        executor = local;
      } else {
        PipelineOptions options = o.runner() == Runner.DIRECT ? directOptions(o.threads())
            : FlinkRun.beamOptions(o);
        beam = BeamSuperstepExecutor.create(options, stateDir.toString(), spec);
        if (!o.resume()) {
          for (int b = 0; b < partitioning.blocks(); b++) {
            beam.storeStartBlock(b, objective.startBlock(b)); // one block at a time
          }
        }
        executor = beam;
      }
      try (SuperstepExecutor closing = executor) {
        while (!state.finished()) {
          Superstep step = state.pending();
          SuperstepResult result = executor.execute(step);
          supersteps++;
          if (validation != null && step.commit() != null && awaitsValidation(trace)) {
            // The last row's iterate was accepted one superstep ago; this commit has stored it.
            long id = step.commit().evaluationId();
            recordValidation(trace, validation.accuracy(partitioning,
                local != null ? local.point(id) : beam.read("x-" + id)), progress, true);
          }
          LbfgsState next = coordinator.advance(state, result);
          double seconds = secondsBefore + (System.nanoTime() - started) / 1e9;
          TraceRow row = traceRow(state, next, seconds);
          if (row != null) {
            trace.add(row);
            if (validation != null && row.iteration() == 0) {
              recordValidation(trace, validation.accuracy(partitioning,
                  local != null ? local.point(next.xId()) : beam.read("x-" + next.xId())),
                  progress, false);
            } else if (row.iteration() > 0 && validation == null) {
              printProgress(progress, row); // with validation: once its accuracy is known
            }
          }
          LbfgsState before = state;
          state = next;
          if (beam != null) {
            Checkpoint.writeControl(stateDir, json,
                Checkpoint.control(json, state, seconds, trace, resumes, -1));
          }
          executor.retain(state);
          if (local != null && Checkpoint.due(o.checkpointEvery(), o.checkpointMinutes(),
              System.currentTimeMillis() - lastCheckpoint, before, state)) {
            lastCheckpoint = System.currentTimeMillis();
            // Held now are exactly the vectors the state refers to (retain): they, then control.
            Checkpoint.writeVectors(stateDir, local.heldVectors());
            Checkpoint.writeControl(stateDir, json,
                Checkpoint.control(json, state, seconds, trace, resumes, -1));
            Checkpoint.dropDead(stateDir, state);
          }
        }
        weights = local != null ? local.point(state.xId()) : beam.read("x-" + state.xId());
      }
      if (phaseTimes != null) {
        System.err.println("local phases, wall time over all blocks:");
        System.err.println(phaseTimes.summary());
      }
    }
    {
      double seconds = secondsBefore + (System.nanoTime() - started) / 1e9;
      for (double[] block : weights) {
        if (!BlockKernels.allFinite(block)) {
          throw new IllegalStateException("non-finite weights at the end of the run");
        }
      }
      if (validation != null && awaitsValidation(trace)) {
        // A run that stopped with no commit left, or a flink run (validation at the end only).
        recordValidation(trace, validation.accuracy(partitioning, weights), progress,
            o.runner() != Runner.FLINK);
      }
      Path modelTmp = work.resolve("model.tmp");
      if (Files.exists(modelTmp)) {
        deleteRecursively(modelTmp);
      }
      try {
        if (net != null) {
          org.lbfgsbeam.transforms.NetworkModelFiles.write(modelTmp,
              new org.lbfgsbeam.transforms.NetworkModelFiles.Network(net,
                  org.lbfgsbeam.core.optim.Lbfgs.concatenate(weights), data.classLabels(),
                  o.lambda()));
        } else {
          org.lbfgsbeam.transforms.LinearModelFiles.write(modelTmp, o.model(), partitioning,
              data.classLabels(), data.numFeatures(), o.lambda(), weights);
        }
      } catch (IOException | RuntimeException e) {
        // A full disk, say: leave no half-written model behind (it would keep the disk full).
        try {
          deleteRecursively(modelTmp);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      Path model = work.resolve("model");
      if (Files.exists(model)) {
        deleteRecursively(model);
      }
      Files.move(modelTmp, model, StandardCopyOption.ATOMIC_MOVE);
      writeTrace(work.resolve("trace.csv"), trace, validation != null);
      ObjectNode summary = summary(o, data, partitioning, state, seconds, supersteps, json);
      summary.put("resumes", resumes);
      if (o.runner() == Runner.FLINK) {
        summary.put("restarts", restarts);
        // The flink job computes a cached trial's gradient with its slope, before the line search
        // decides (one barrier fewer); the passes it drops are passes over the data all the same.
        summary.put("dataPasses", state.dataPasses() + speculativePasses);
        summary.put("speculativeGradientPasses", speculativePasses);
        // Each a barrier across the nodes and the coordinator (of the job that finished the run).
        summary.put("barrierSupersteps", barriers);
        // The nodes form the next commit's Gram entries with the trial's gradient (no barrier of
        // their own); those that did not apply (a rejected trial, no push) are vector work lost.
        summary.put("droppedSpeculativeGramPasses", droppedGramPasses);
      }
      if (network != null) {
        // One pass over the batches per evaluation (value and gradient together).
        summary.put("dataPasses", state.evaluations());
        summary.set("network", describeNetwork(network, net, json));
        summary.put("blas", org.lbfgsbeam.core.nn.Blas.implementationName());
      }
      if (validation != null) {
        summary.put("validation", o.validation().toAbsolutePath().normalize().toString());
        summary.put("validationAccuracy", trace.get(trace.size() - 1).validationAccuracy());
      }
      writeAtomically(work.resolve("summary.json"),
          json.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
      if (o.runner() != Runner.LOCAL || o.checkpointEvery() > 0 || o.checkpointMinutes() > 0) {
        // The run is over: keep the record of it (run.json, control.json with the final state, so
        // that --resume says it has finished), drop the vectors and data.
        Checkpoint.writeControl(stateDir, json, Checkpoint.control(json, state, seconds, trace,
            resumes, o.runner() == Runner.FLINK ? restarts : -1));
        try (Stream<Path> files = Files.list(stateDir)) {
          for (Path p : (Iterable<Path>) files::iterator) {
            String name = p.getFileName().toString();
            if (!name.equals(RUN) && !name.equals(CONTROL)) {
              if (Files.isDirectory(p)) {
                deleteRecursively(p);
              } else {
                Files.delete(p);
              }
            }
          }
        }
      }
      progress.printf(Locale.ROOT, "stopped: %s (%s) after %d iterations, %d evaluations, %.2fs;"
          + " f = %s%n", state.stopReason(), state.stopReason().message(), state.iteration(),
          state.evaluations(), seconds, Numbers.exact(state.value()));
      if (validation != null) {
        progress.printf(Locale.ROOT, "validation accuracy %.4f%n",
            trace.get(trace.size() - 1).validationAccuracy());
      }
      try {
        List<Path> charts = Charts.write(work.resolve("trace.csv"), work.resolve("charts"),
            network == null);
        progress.println("charts: " + charts.size() + " PNG files in " + out.resolve("charts"));
      } catch (IOException | RuntimeException e) {
        // The model and the trace are written; a machine that cannot draw should not lose them.
        progress.println("charts not drawn: " + e.getMessage());
      }
      return new Outcome(summary, state, weights);
    }
  }

  /** The trace row for the step from {@code before} to {@code after}, or null when none is due. */
  /**
   * A {@link JitWarmUp} of the run's kernels when they run in this JVM (runners local and embedded
   * flink, linear models); {@code LBFGS_BEAM_WARMUP=off} turns it off, {@code =trace} prints what
   * it did on standard error.
   */
  static AutoCloseable warmUp(TrainOptions o) {
    boolean here = o.runner() == Runner.LOCAL
        || (o.runner() == Runner.FLINK && FlinkSession.EMBEDDED.equals(o.flinkMaster()));
    boolean linear = o.model() == ObjectiveSpec.Model.SOFTMAX
        || o.model() == ObjectiveSpec.Model.LOGISTIC
        || o.model() == ObjectiveSpec.Model.LEAST_SQUARES;
    if (!here || !linear || "off".equals(System.getenv("LBFGS_BEAM_WARMUP"))) {
      return JitWarmUp.none();
    }
    int classes = o.model() == ObjectiveSpec.Model.SOFTMAX ? JitWarmUp.MAX_CLASSES : 2;
    int blocks = Math.min(o.partitions(), classes);
    return JitWarmUp.start(data -> ObjectiveCache.build(
        new ObjectiveSpec(o.model(), o.lambda(), blocks, "warm-up", null), data),
        o.optimizer(), classes);
  }

  static TraceRow traceRow(LbfgsState before, LbfgsState after, double seconds) {
    if (before.evaluations() == 0 && after.evaluations() == 1) {
      return new TraceRow(0, 1, after.value(), after.gradientMaxAbs(), 0, seconds);
    }
    if (after.iteration() > before.iteration()) {
      return new TraceRow(after.iteration(), after.evaluations(), after.value(),
          after.gradientMaxAbs(), after.lastStep(), seconds);
    }
    return null;
  }

  static void printProgress(PrintStream progress, TraceRow row) {
    progress.printf(Locale.ROOT, "iter %4d  evals %4d  f %.12e  |g| %.3e  step %.3g  %.2fs%s%n",
        row.iteration(), row.evaluations(), row.objective(), row.gradientNorm(), row.step(),
        row.seconds(), row.validationAccuracy() == null ? ""
            : String.format(Locale.ROOT, "  validation %.4f", row.validationAccuracy()));
  }

  /** Whether the last trace row still waits for its validation accuracy. */
  static boolean awaitsValidation(List<TraceRow> trace) {
    return !trace.isEmpty() && trace.get(trace.size() - 1).validationAccuracy() == null;
  }

  /** Sets the last trace row's validation accuracy, and prints the row if asked. */
  static void recordValidation(List<TraceRow> trace, double accuracy, PrintStream progress,
      boolean print) {
    TraceRow row = trace.get(trace.size() - 1).withValidationAccuracy(accuracy);
    trace.set(trace.size() - 1, row);
    if (print && row.iteration() > 0) {
      printProgress(progress, row);
    }
  }

  static PipelineOptions directOptions(int threads) {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(org.apache.beam.runners.direct.DirectRunner.class);
    options.setTargetParallelism(threads);
    // Checked in unit tests (TestPipeline); off for real runs, as NOTES-beam-flink.md measured.
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    options.setBlockOnRun(true);
    return options;
  }

  /**
   * The network of an mlp run with its shards fitted to the data: the default shard count is cut to
   * the number of batches; an explicit one beyond it is refused.
   */
  private static NetworkSpec networkFor(TrainOptions o, SparseDataset data) {
    NetworkSpec n = o.network();
    if (n == null) {
      return null;
    }
    long batches = (data.numExamples() + (long) n.batchSize() - 1) / n.batchSize();
    if (batches < 1) {
      throw new CommandLine.UsageException(o.data() + ": no examples to train on");
    }
    if (n.shards() > batches) {
      if (n.shards() != TrainOptions.DEFAULT_SHARDS) {
        throw new CommandLine.UsageException("--shards must be at most the number of batches ("
            + batches + " of up to " + n.batchSize() + " examples), but was: " + n.shards());
      }
      return new NetworkSpec(n.hidden(), n.activation(), n.loss(), n.batchSize(), (int) batches,
          n.seed());
    }
    return n;
  }

  private static ObjectNode describeNetwork(NetworkSpec network, MultilayerPerceptron net,
      ObjectMapper json) {
    ObjectNode n = json.createObjectNode();
    ArrayNode sizes = n.putArray("layerSizes");
    for (int s : net.layerSizes()) {
      sizes.add(s);
    }
    n.put("activation", network.activation().name().toLowerCase(Locale.ROOT));
    n.put("loss", org.lbfgsbeam.transforms.NetworkModelFiles.lossName(network.loss()));
    n.put("batchSize", network.batchSize());
    n.put("shards", network.shards());
    n.put("seed", network.seed());
    return n;
  }

  private static ObjectNode describe(TrainOptions o, SparseDataset data, NetworkSpec network,
      MultilayerPerceptron net, ObjectMapper json) throws IOException {
    ObjectNode run = json.createObjectNode();
    run.put("data", o.data().toAbsolutePath().normalize().toString());
    DataShards shards = DataShards.of(o.data());
    run.put("dataBytes", shards.bytes()); // of every shard: a shard added, or cut, is told
    if (shards.sharded()) { // absent for one file, so that runs started before shards resume
      run.put("dataShards", shards.files().size());
    }
    if (o.labels() != null) {
      run.put("labels", o.labels().toAbsolutePath().normalize().toString());
    }
    if (o.validation() != null) {
      run.put("validation", o.validation().toAbsolutePath().normalize().toString());
    }
    run.put("examples", data.numExamples());
    run.put("features", data.numFeatures());
    run.put("classes", data.numClasses());
    run.put("model", org.lbfgsbeam.transforms.ModelFormat.modelName(o.model()));
    run.put("lambda", o.lambda());
    run.put("partitions", o.partitions());
    if (network != null) {
      run.set("network", describeNetwork(network, net, json));
    }
    ObjectNode optimizer = run.putObject("optimizer");
    optimizer.put("history", o.optimizer().history());
    optimizer.put("gradientTolerance", o.optimizer().gradientTolerance());
    optimizer.put("progressTolerance", o.optimizer().progressTolerance());
    optimizer.put("maxIterations", o.optimizer().maxIterations());
    optimizer.put("maxEvaluations", o.optimizer().maxEvaluations());
    optimizer.put("c1", o.optimizer().c1());
    optimizer.put("c2", o.optimizer().c2());
    optimizer.put("maxLineSearchEvaluations", o.optimizer().maxLineSearchEvaluations());
    optimizer.put("direction", o.optimizer().directionMethod().name());
    return run;
  }

  private static ObjectNode summary(TrainOptions o, SparseDataset data, Partitioning partitioning,
      LbfgsState state, double seconds, int supersteps, ObjectMapper json) {
    ObjectNode s = json.createObjectNode();
    s.put("objective", new java.math.BigDecimal(Numbers.exact(state.value())));
    s.put("gradientNorm", state.gradientMaxAbs());
    s.put("iterations", state.iteration());
    s.put("evaluations", state.evaluations());
    s.put("dataPasses", state.dataPasses()); // as LbfgsCoordinator.dataPasses counts them
    s.put("stopReason", state.stopReason().name());
    s.put("stopMessage", state.stopReason().message());
    s.put("converged", state.stopReason().converged());
    s.put("parameters", partitioning.size());
    s.put("classes", data.numClasses());
    s.put("features", data.numFeatures());
    s.put("examples", data.numExamples());
    s.put("nonzeros", data.nnz());
    s.put("partitions", partitioning.blocks());
    s.put("runner", o.runner().cliName());
    s.put("model", org.lbfgsbeam.transforms.ModelFormat.modelName(o.model()));
    s.put("lambda", o.lambda());
    s.put("history", o.optimizer().history());
    s.put("direction", o.optimizer().directionMethod().name());
    s.put("seconds", seconds);
    s.put("supersteps", supersteps);
    s.put("skippedUpdates", state.skippedUpdates());
    // Najafabadi et al., Tables 2-4: (2m+2) vectors of n/P doubles per worker for the L-BFGS state.
    s.put("optimizerBytesPerWorker",
        (2L * o.optimizer().history() + 2) * partitioning.maxBlockSize() * 8L);
    s.put("data", o.data().toAbsolutePath().normalize().toString());
    s.put("peakRssBytes", peakRssBytes());
    return s;
  }

  /**
   * This process's peak resident set size so far, VmHWM of /proc/self/status (Linux), in bytes; -1
   * where there is none. bench runs train in a child JVM to read one run's peak from summary.json.
   */
  public static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) { // "VmHWM:   123456 kB"
          return 1024 * Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  private static void writeTrace(Path file, List<TraceRow> trace, boolean withValidation)
      throws IOException {
    StringBuilder sb = new StringBuilder(withValidation ? TraceRow.HEADER_WITH_VALIDATION
        : TraceRow.HEADER).append('\n');
    for (TraceRow row : trace) {
      sb.append(row.csv(withValidation)).append('\n');
    }
    writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  public static void writeAtomically(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  public static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
