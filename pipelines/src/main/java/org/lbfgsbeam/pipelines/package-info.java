/**
 * The drivers of lbfgs-beam, in layers above the Beam-free core ({@code org.lbfgsbeam.core}: the
 * per-block math) and the Beam wiring ({@code org.lbfgsbeam.transforms}):
 *
 * <ul>
 *   <li>{@link org.lbfgsbeam.pipelines.Main}: the jar's entry point, which dispatches a command to
 *       its options parser and its run, and maps a failure to one line and an exit status;</li>
 *   <li>{@code cli}: the command line: option parsing and help texts, one validated options record
 *       per command ({@code TrainOptions}, {@code BenchOptions}, &hellip;), the exit-status mapping
 *       ({@code Failures}) and the BLAS-threads relaunch; nothing here reads data or trains;</li>
 *   <li>{@code training}: what runs a training from parsed options: {@code train} (full-batch
 *       L-BFGS on every runner) and its stochastic optimisers, the run directory, checkpoints and
 *       {@code --resume}, the trace, its charts, the memory check, and {@code Training}, the same
 *       run for code that is not the command line;</li>
 *   <li>{@code data}: the input: LIBSVM and IDX files, shards, the synthetic sets of
 *       {@code generate};</li>
 *   <li>{@code scoring}: {@code evaluate} and {@code predict} with a trained model;</li>
 *   <li>{@code flink}: the Flink jobs (one job for a whole run) and the cluster session;</li>
 *   <li>{@code beam}: {@code TrainModel}, training as a transform of a pipeline in progress;</li>
 *   <li>{@code bench}: the benchmarks and studies ({@code bench}, {@code bench-network},
 *       {@code compare}, {@code history-study}, {@code autoencoder}) and their peers;</li>
 *   <li>{@code examples}: runnable example programs.</li>
 * </ul>
 *
 * Model files are read and written by the transforms module ({@code LinearModelFiles},
 * {@code NetworkModelFiles}).
 */
package org.lbfgsbeam.pipelines;
