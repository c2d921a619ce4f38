package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.Checks;

/**
 * What {@link Kfac} keeps for one layer, on the layer's owner: the running averages of the factors
 * (not yet bias-corrected) and how many factor updates they hold, the current preconditioner (derived
 * from the averages at the last inverse update, so a checkpoint may drop it and recompute it), the
 * step's direction between the two phases, the heavy-ball velocity in the augmented layout
 * d<sub>out</sub>&times;(d<sub>in</sub>+1), and the number of steps that fell back to the plain
 * gradient. Plain data, mutated in place by {@link Kfac}.
 */
public final class KfacLayerState implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private final int layer;
  private final int inputs;
  private final int outputs;
  final double[] averageA;
  final double[] averageG;
  long factorUpdates;
  KfacLayerPreconditioner preconditioner;
  double[] direction;
  boolean lastFellBack;
  long fallbacks;
  final double[] velocity;

  KfacLayerState(int layer, int inputs, int outputs) {
    Checks.checkArgument(inputs >= 1 && outputs >= 1,
        "inputs and outputs of layer %s must be positive, but were: %s, %s", layer, inputs, outputs);
    this.layer = layer;
    this.inputs = inputs;
    this.outputs = outputs;
    this.averageA = new double[(inputs + 1) * (inputs + 1)];
    this.averageG = new double[outputs * outputs];
    this.velocity = new double[outputs * (inputs + 1)];
  }

  public int layer() {
    return layer;
  }

  /** d<sub>in</sub>. */
  public int inputs() {
    return inputs;
  }

  /** d<sub>out</sub>. */
  public int outputs() {
    return outputs;
  }

  /** The number of entries of the layer's augmented weights, d<sub>out</sub>(d<sub>in</sub>+1). */
  public int size() {
    return velocity.length;
  }

  /** k, the number of factor updates in the averages. */
  public long factorUpdates() {
    return factorUpdates;
  }

  /** The live running average of A, (d<sub>in</sub>+1)<sup>2</sup> row-major (not a copy). */
  public double[] averageA() {
    return averageA;
  }

  /** The live running average of G, d<sub>out</sub><sup>2</sup> row-major (not a copy). */
  public double[] averageG() {
    return averageG;
  }

  /** The live velocity (not a copy). */
  public double[] velocity() {
    return velocity;
  }

  /** The preconditioner of the last inverse update, or null (none yet, or it failed). */
  public KfacLayerPreconditioner preconditioner() {
    return preconditioner;
  }

  /** The direction of the current step (set by phase 1), or null before the first step. */
  public double[] direction() {
    return direction;
  }

  /** Whether the current step's direction is the plain gradient (a fallback). */
  public boolean lastFellBack() {
    return lastFellBack;
  }

  /** How many steps of this layer fell back to the plain gradient so far. */
  public long fallbacks() {
    return fallbacks;
  }

  @Override
  public String toString() {
    return "KfacLayerState{layer=" + layer + ", inputs=" + inputs + ", outputs=" + outputs
        + ", factorUpdates=" + factorUpdates + ", fallbacks=" + fallbacks + "}";
  }
}
