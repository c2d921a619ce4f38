package org.lbfgsbeam.core.objective;

import java.io.Serializable;

/**
 * The result of combining all blocks' partial statistics: a vector broadcast back to every block (the
 * softmax normalisers log Z<sub>i</sub>, say) and the part of the objective that is known once they are
 * combined (the mean data loss).
 *
 * @param broadcast what every block needs for its gradient
 * @param dataLoss the data term of f
 */
public record CombinedStatistics(double[] broadcast, double dataLoss) implements Serializable {}
