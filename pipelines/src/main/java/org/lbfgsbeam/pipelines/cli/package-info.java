/**
 * The command line: each command's options parsed and validated into a record ({@code
 * TrainOptions}, {@code StochasticTrainOptions}, {@code EvaluateOptions}, &hellip;) with its help
 * text; {@link org.lbfgsbeam.pipelines.cli.CommandLine} and its usage errors; the one-line failure
 * messages and exit statuses ({@link org.lbfgsbeam.pipelines.cli.Failures}). A command's run lives
 * in {@code training}, {@code data}, {@code scoring} or {@code bench} and takes the record.
 */
package org.lbfgsbeam.pipelines.cli;
