package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.VarInt;

/**
 * The blocks of several distributed vectors that one node holds, by name ("x", "g", "d", "s0", ...):
 * what a CoGroupByKey join of those vectors by node_id yields, and what a local ParDo (the paper's
 * PROJECT) reads and extends. Immutable: {@link #with} returns a copy; blocks are never modified.
 */
public final class NamedBlocks {
  private final SortedMap<String, double[]> blocks;

  private NamedBlocks(SortedMap<String, double[]> blocks) {
    this.blocks = blocks;
  }

  public static NamedBlocks empty() {
    return new NamedBlocks(Collections.emptySortedMap());
  }

  /** The block called {@code name}; fails naming what is held when absent. */
  public double[] get(String name) {
    double[] b = blocks.get(name);
    if (b == null) {
      throw new IllegalStateException("no block '" + name + "' here; held: " + blocks.keySet());
    }
    return b;
  }

  /** The block called {@code name}, or null. */
  public double[] getOrNull(String name) {
    return blocks.get(name);
  }

  /** A copy that also holds {@code block} as {@code name} (replacing any block of that name). */
  public NamedBlocks with(String name, double[] block) {
    TreeMap<String, double[]> copy = new TreeMap<>(blocks);
    copy.put(name, block);
    return new NamedBlocks(copy);
  }

  /** A copy without {@code name}. */
  public NamedBlocks without(String name) {
    TreeMap<String, double[]> copy = new TreeMap<>(blocks);
    copy.remove(name);
    return new NamedBlocks(copy);
  }

  /** The blocks, read-only. */
  public Map<String, double[]> asMap() {
    return Collections.unmodifiableSortedMap(blocks);
  }

  /** A deterministic coder: the count, then each name and block in name order. */
  public static final class Coder extends AtomicCoder<NamedBlocks> {
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(NamedBlocks value, OutputStream out) throws IOException {
      VarInt.encode(value.blocks.size(), out);
      for (Map.Entry<String, double[]> e : value.blocks.entrySet()) {
        StringUtf8Coder.of().encode(e.getKey(), out);
        DoubleArrayCoder.of().encode(e.getValue(), out);
      }
    }

    @Override
    public NamedBlocks decode(InputStream in) throws IOException {
      int n = VarInt.decodeInt(in);
      TreeMap<String, double[]> map = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        String name = StringUtf8Coder.of().decode(in);
        map.put(name, DoubleArrayCoder.of().decode(in));
      }
      return new NamedBlocks(map);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
