/**
 * Training runs from parsed options: {@code train} with full-batch L-BFGS on the local, direct,
 * beam-flink and flink runners ({@link org.lbfgsbeam.pipelines.training.TrainCommand}), the
 * stochastic optimisers ({@link org.lbfgsbeam.pipelines.training.StochasticTrainCommand}), the run
 * directory, checkpoints and {@code --resume}, the trace and its charts ({@code plot}), and
 * {@link org.lbfgsbeam.pipelines.training.Training}, the same run for other code.
 */
package org.lbfgsbeam.pipelines.training;
