/**
 * Benchmarks and studies, each running {@code train} (usually in a child JVM) and tabulating or
 * drawing what the runs wrote: {@code bench} (runners side by side, with the Spark and
 * scikit-learn peers), {@code bench-network}, {@code compare}, {@code history-study},
 * {@code autoencoder}.
 */
package org.lbfgsbeam.pipelines.bench;
