package org.lbfgsbeam.pipelines.flink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.java.DataSet;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.io.DiscardingOutputFormat;
import org.apache.flink.api.java.operators.IterativeDataSet;
import org.apache.flink.api.java.tuple.Tuple2;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.pipelines.training.StateJson;
import org.lbfgsbeam.transforms.ObjectiveCache;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * A whole L-BFGS run as ONE Flink job: a DataSet bulk iteration ({@link IterativeDataSet}) whose
 * partial solution is one control token ({@link LoopToken}) with the coordinator's state. The node
 * tokens (one per node, and per shard of a data-parallel objective), a few bytes each, are the same in
 * every superstep: they are routed to their subtask once, before the loop, and the iteration replays
 * them from its cache of that loop-invariant input every superstep. The vectors stay where their node
 * runs:
 * <pre>
 *   node tokens ── partitionCustom(node) ── NodeWorker (holds the node's vectors) ──┐ partials
 *   control (loop) ─┬── broadcast ─────────────┘                                      │
 *                   ├── tick ───────────────────────── ∪ ── PhaseCoordinator (p = 1) ─┘── next control
 *                   └── broadcast ─────────────────────────────────┘
 * </pre>
 * One bulk superstep is one {@link IterationPhase}: the workers run the phase on their nodes and send
 * one partial per node of the next global reduction (Gram entries, a two-loop dot, the objective's
 * statistics, the line-search scalars); the coordinator reduces them in node order and broadcasts the
 * result with the next phase. A vector-free L-BFGS superstep that forms a direction takes two bulk
 * supersteps (commit, direction and trial statistics; slope with the speculative gradient and the
 * next commit's speculative Gram entries: {@link SlopeAndGradient}, {@link SpeculativeGram}), three
 * when the Gram entries were not speculated right; one that continues a line search two. The
 * training data is read once per TaskManager JVM from the prepared data file
 * (a path every TaskManager can read), not shipped through the job. The loop closes when the
 * coordinator's control token reaches {@link IterationPhase#DONE}, after the workers have written the
 * final x blocks and the coordinator the final state into the work directory.
 *
 * <p>Every superstep is a barrier across all the iteration's tasks, and each task of the step function
 * is a thread that Flink wakes, resets and ends again in every superstep; the shape keeps them few
 * (at parallelism 2: the loop's head, the tick, the nodes, the coordinator, the tail that feeds the
 * next control back and checks that it is not DONE, the sync: 10 subtasks, where routing the node
 * tokens inside the loop with the control among them took 20, a filter each for the control and the
 * node tokens and the key extraction of the routing included).
 *
 * <p>The per-node steps are {@link org.lbfgsbeam.transforms.NodeOps}, in the in-process executor's
 * order, and every reduction adds partials in node order, so the job gives the same bits as the other
 * runners for the same partition count.
 */
public final class FlinkLbfgsJob {
  private FlinkLbfgsJob() {}

  /**
   * What the job needs.
   *
   * @param objective the objective (its data path is read by every TaskManager)
   * @param options the optimiser's options
   * @param initialStateJson the coordinator's state to start from
   * @param workDirectory where the job writes its final blocks, state and progress rows
   * @param maxSupersteps the bound on L-BFGS supersteps (the coordinator stops first)
   * @param checkpoints when and where the job writes checkpoints; a job whose initial state is past
   *     superstep 0 resumes from the checkpoint of that state in its directory
   */
  public record Spec(ObjectiveSpec objective, LbfgsOptions options, String initialStateJson,
      String workDirectory, int maxSupersteps, FlinkCheckpoints checkpoints)
      implements java.io.Serializable {}

  /** Builds the job's plan on {@code env}; run it with {@code env.execute}. */
  public static void plan(ExecutionEnvironment env, Spec spec) {
    List<LoopToken> work = new ArrayList<>();
    for (int b = 0; b < spec.objective().blocks(); b++) {
      work.add(LoopToken.node(b));
    }
    if (spec.objective().dataParallel()) {
      for (int shard = 0; shard < spec.objective().shards(); shard++) {
        work.add(LoopToken.shard(shard));
      }
    }
    // The node and shard tokens are the same in every superstep: routed once, outside the loop, and
    // cached by the iteration as a loop-invariant input of the nodes.
    DataSet<LoopToken> routed = env.fromCollection(work).name("Node tokens")
        .partitionCustom(new NodeOrShardPartitioner(), new NodeKey())
        .name("Route to the node's subtask");
    // Bulk supersteps per L-BFGS superstep: at most the two-loop's 2m dots, statistics, the shards'
    // evaluation, slope, scalars.
    int phases = 2 * spec.options().history() + 5;
    IterativeDataSet<LoopToken> control = env.fromElements(
            LoopToken.control(spec.initialStateJson(), IterationPhase.PREPARE)).name("Control")
        .iterate(spec.maxSupersteps() * phases + 2);
    DataSet<Tuple2<Integer, double[]>> partials = routed
        .mapPartition(new NodeWorker(spec.objective(), spec.workDirectory(), spec.checkpoints(),
            parse(spec.initialStateJson()).pending().number()))
        .withBroadcastSet(control, NodeWorker.CONTROL).name("Nodes: run the phase");
    DataSet<Tuple2<Integer, double[]>> tick = control.map(new Tick()).name("Tick");
    DataSet<LoopToken> next = partials.union(tick)
        .reduceGroup(new PhaseCoordinator(spec.objective(), spec.options(), spec.workDirectory(),
            spec.checkpoints()))
        .withBroadcastSet(control, NodeWorker.CONTROL).setParallelism(1)
        .name("Coordinator: reduce in node order, advance");
    // The step function's last operator must have the iteration's parallelism (the coordinator's is
    // 1); the termination check is chained to it.
    DataSet<LoopToken> fedBack = next.map(new FeedBack()).name("Next control");
    DataSet<LoopToken> result = control.closeWith(fedBack,
        fedBack.filter(new Running()).name("Running?"));
    result.output(new DiscardingOutputFormat<>()).name("End");
  }

  /** The name under which the final blocks are written into the work directory. */
  public static String finalVector() {
    return "x-final";
  }

  /** The file the final state is written to. */
  public static Path finalState(String workDirectory) {
    return Paths.get(workDirectory, "flink-final-state.json");
  }

  /**
   * The file the coordinator writes with the final state: two counts of the attempt that finished,
   * the speculative gradient passes the line search did not keep ({@link SlopeAndGradient}: passes
   * over the data beyond those the state's {@code dataPasses} counts) and the bulk supersteps, each
   * one barrier across the nodes and the coordinator.
   */
  public static Path jobCountsFile(String workDirectory) {
    return Paths.get(workDirectory, "flink-job-counts.txt");
  }

  /** The file the coordinator's attempt number at the end is written to (restarts observed). */
  public static Path finalAttempt(String workDirectory) {
    return Paths.get(workDirectory, "flink-final-attempt.txt");
  }

  /** The file progress rows are appended to. */
  public static Path progressFile(String workDirectory) {
    return Paths.get(workDirectory, "flink-progress.csv");
  }

  /**
   * The state's JSON mapper, built once per JVM: every subtask parses the control token's state in
   * every bulk superstep, and a new {@link StateJson#mapper()} introspects {@link LbfgsState} and
   * builds its (de)serializers again each time (most of a superstep's time in the nodes and the
   * coordinator when the compute is small). A configured mapper is safe to share between threads.
   */
  private static final ObjectMapper STATE_JSON = StateJson.mapper();

  /** The state parsed last in this JVM, and its JSON. */
  private record Parsed(String json, LbfgsState state) {}

  private static final AtomicReference<Parsed> LAST_PARSED = new AtomicReference<>();

  /**
   * The state of a control token's JSON. The nodes' subtasks and the coordinator of a TaskManager
   * parse the same JSON in a superstep, and again in the next phases of the same L-BFGS superstep
   * (the state changes once per L-BFGS superstep): the state parsed last is kept and returned for an
   * equal JSON text. Parsing is a function of the text and a state is an immutable value that nobody
   * modifies, so every caller gets what parsing would give it.
   */
  static LbfgsState parse(String json) {
    Parsed last = LAST_PARSED.get();
    if (last != null && last.json().equals(json)) {
      return last.state();
    }
    try {
      LbfgsState state = STATE_JSON.readValue(json, LbfgsState.class);
      LAST_PARSED.set(new Parsed(json, state));
      return state;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The JSON of the coordinator's new state, which is also kept as the state parsed last: parsing this
   * text gives this state (every field is written, doubles in a form that reads back to the same
   * bits), so the nodes' subtasks in this JVM start the next superstep without parsing it.
   */
  static String json(LbfgsState state) {
    try {
      String json = STATE_JSON.writeValueAsString(state);
      LAST_PARSED.set(new Parsed(json, state));
      return json;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The objective, built once per TaskManager JVM on the prepared data file. */
  static PartitionedObjective objective(ObjectiveSpec spec) {
    if (spec.model() == ObjectiveSpec.Model.BATCHES) {
      return ObjectiveCache.get(spec); // the staged batches, read through Beam's FileSystems
    }
    return ObjectiveCache.get(spec, () -> {
      try (InputStream in = new BufferedInputStream(
          Files.newInputStream(Paths.get(spec.dataPath())), 1 << 16)) {
        return DatasetFile.read(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read prepared data " + spec.dataPath(), e);
      }
    });
  }

  private static final class NodeKey implements KeySelector<LoopToken, Integer> {
    @Override
    public Integer getKey(LoopToken t) {
      return t.node;
    }
  }

  private static final class Tick implements MapFunction<LoopToken, Tuple2<Integer, double[]>> {
    @Override
    public Tuple2<Integer, double[]> map(LoopToken t) {
      return Tuple2.of(LoopToken.CONTROL, new double[0]);
    }
  }

  private static final class FeedBack implements MapFunction<LoopToken, LoopToken> {
    @Override
    public LoopToken map(LoopToken t) {
      return t;
    }
  }

  private static final class Running implements FilterFunction<LoopToken> {
    @Override
    public boolean filter(LoopToken t) {
      return t.phase() != IterationPhase.DONE;
    }
  }
}
