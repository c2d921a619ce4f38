package org.lbfgsbeam.pipelines.flink;

/**
 * An element of the stochastic training job's partial solution ({@link FlinkStochasticJob}): one
 * control token (key &minus;1) with the step and the coordinator's running values, one token per
 * block of the parameters (key b &ge; 0) that routes the block's work to the subtask holding its
 * parameters and optimiser state and carries the block's slice of the step's gradient when there is
 * one, and one token per shard (key &minus;2 &minus; s) that routes shard s's part of each
 * mini-batch to its subtask.
 *
 * <p>A Flink POJO: public fields, a public no-argument constructor.
 */
public class StepToken {
  /** The control token's key. */
  public static final int CONTROL = -1;

  /** {@link #CONTROL}, a block b &ge; 0, or &minus;2 &minus; s for shard s. */
  public int key;
  /** The {@link StochasticPhase} the workers run (control only). */
  public int phase;
  /**
   * ADVANCE: the step whose mini-batch the shards evaluate (the blocks first finish step &minus; 1);
   * PARTIALS: the step whose partials the blocks compute (control only).
   */
  public long step;
  /**
   * A block token: the block's slice of the step's summed gradient (null when it carries none); the
   * control token of an ADVANCE after a PARTIALS phase: the blocks' partials summed in block order.
   */
  public byte[] payload;
  /** &Sigma; f<sub>t</sub>&middot;|batch<sub>t</sub>| over the epoch's steps so far (control only). */
  public double lossSum;
  /** The first epoch's mean train loss, NaN before it ends (control only). */
  public double firstTrainLoss = Double.NaN;
  /** Wall-clock milliseconds at the first superstep (control only). */
  public long startedMillis;

  public StepToken() {}

  static StepToken control(StochasticPhase phase, long step) {
    StepToken t = new StepToken();
    t.key = CONTROL;
    t.phase = phase.ordinal();
    t.step = step;
    return t;
  }

  /** The next control token: the same running values, a new phase and step, no payload. */
  StepToken next(StochasticPhase phase, long nextStep) {
    StepToken t = control(phase, nextStep);
    t.lossSum = lossSum;
    t.firstTrainLoss = firstTrainLoss;
    t.startedMillis = startedMillis;
    return t;
  }

  static StepToken block(int block, double[] gradient) {
    StepToken t = new StepToken();
    t.key = block;
    t.payload = PackedDoubles.pack(gradient);
    return t;
  }

  static StepToken shard(int shard) {
    StepToken t = new StepToken();
    t.key = shardKey(shard);
    return t;
  }

  /** The key of shard s's token and of its partial. */
  static int shardKey(int shard) {
    return -2 - shard;
  }

  /** The shard of a shard key. */
  static int shardOf(int key) {
    return -2 - key;
  }

  boolean isControl() {
    return key == CONTROL;
  }

  boolean isBlock() {
    return key >= 0;
  }

  boolean isShard() {
    return key <= -2;
  }

  StochasticPhase phase() {
    return StochasticPhase.values()[phase];
  }
}
