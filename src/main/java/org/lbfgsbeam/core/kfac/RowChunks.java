package org.lbfgsbeam.core.kfac;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A layer's preconditioning split into fixed chunks of {@link #ROWS} output rows, run in parallel
 * (the common fork-join pool, with the calling thread taking part). Row r of V = X B depends only on
 * row r of X, so each chunk is an independent pair of products on a contiguous row range; the chunks
 * are the same whatever the thread count, so the bits are too. It lets the owner of one wide layer
 * (the first layer of a network is often most of the work) use every core it has, where a layer per
 * thread would leave the others waiting for it.
 */
final class RowChunks {
  /** Rows per chunk: large enough for BLAS-3 efficiency, small enough to spread a 512-row layer. */
  static final int ROWS = 64;

  private RowChunks() {}

  /** The number of chunks of {@code rows} rows. */
  static int count(int rows) {
    return (rows + ROWS - 1) / ROWS;
  }

  /** First row of chunk {@code c}. */
  static int from(int c) {
    return c * ROWS;
  }

  /** Rows in chunk {@code c} of {@code rows}. */
  static int size(int c, int rows) {
    return Math.min(ROWS, rows - c * ROWS);
  }

  /** Runs {@code chunk} for every chunk of {@code rows} rows, in parallel when there are several. */
  static void forEach(int rows, IntConsumer chunk) {
    int n = count(rows);
    if (n == 1) {
      chunk.accept(0);
    } else {
      IntStream.range(0, n).parallel().forEach(chunk);
    }
  }
}
