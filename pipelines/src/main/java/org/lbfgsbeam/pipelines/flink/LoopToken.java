package org.lbfgsbeam.pipelines.flink;

/**
 * A token of the bulk iteration ({@link FlinkLbfgsJob}), a few bytes each: one token per node (node
 * &ge; 0, every other field empty) that routes the superstep's work to the subtask holding that node's
 * vectors (routed once, before the loop, and replayed to the nodes in every superstep), and the control
 * token (node &minus;1), the iteration's partial solution, with the coordinator's state and what the
 * last global reduction produced. The vectors themselves never travel; see {@link NodeWorker}.
 *
 * <p>A Flink POJO: public fields, a public no-argument constructor.
 */
public class LoopToken {
  /** The control token's node id. */
  public static final int CONTROL = -1;

  /**
   * The node, or {@link #CONTROL}, or for the shard tokens of a data-parallel objective (a batch sum)
   * &minus;2 &minus; s for shard s: they route the evaluation of shard s's batches to the subtask that
   * holds them.
   */
  public int node;
  /** The coordinator's {@link org.lbfgsbeam.core.optim.LbfgsState} as JSON (control only). */
  public String state;
  /** The {@link IterationPhase} the nodes run next (control only). */
  public int phase;
  /** The two-loop recursion's index i of that phase (control only). */
  public int index;
  /** The vector-free superstep's new Gram entries, once reduced (control only). */
  public double[] gramDots;
  /** The objective's combined statistics, packed as {@code NodeOps.combine} packs them. */
  public double[] combined;
  /** A cached trial's reduced [f, slope, g&middot;d, max|d|] ({@code NodeOps.reduceSlope}). */
  public double[] slope;
  /** The two-loop recursion's last reduced dot product. */
  public double dot;
  /**
   * Whether the nodes also compute, in this SLOPE phase, the Gram entries of the commit most likely
   * next ({@link SpeculativeGram}; vector-free runs, control only).
   */
  public boolean speculateGram;
  /**
   * Whether the nodes write their blocks of the state's vectors in this PREPARE phase and the
   * coordinator then the checkpoint's control file ({@link FlinkCheckpoints}; control only).
   */
  public boolean checkpoint;
  /** A data-parallel objective's trial point &theta;, assembled from the nodes' blocks (control only). */
  public double[] theta;

  public LoopToken() {}

  static LoopToken node(int node) {
    LoopToken t = new LoopToken();
    t.node = node;
    return t;
  }

  static LoopToken shard(int shard) {
    LoopToken t = new LoopToken();
    t.node = shardKey(shard);
    return t;
  }

  /** The key under which shard s's token travels and its partial is reduced. */
  static int shardKey(int shard) {
    return -2 - shard;
  }

  /** Whether this is a shard token. */
  boolean isShard() {
    return node <= -2;
  }

  /** The shard of a shard token or key. */
  static int shardOf(int key) {
    return -2 - key;
  }

  static LoopToken control(String state, IterationPhase phase) {
    LoopToken t = new LoopToken();
    t.node = CONTROL;
    t.state = state;
    t.phase = phase.ordinal();
    return t;
  }

  /** A control token for the next phase of the same superstep, carrying the Gram entries along. */
  LoopToken next(IterationPhase phase, int index) {
    LoopToken t = control(state, phase);
    t.index = index;
    t.gramDots = gramDots;
    return t;
  }

  boolean isControl() {
    return node == CONTROL;
  }

  IterationPhase phase() {
    return IterationPhase.values()[phase];
  }
}
