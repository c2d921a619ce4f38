package org.lbfgsbeam.pipelines.flink;

import org.lbfgsbeam.transforms.NamedBlocks;

/**
 * An element of the Flink bulk iteration's partial solution: either one node's blocks (node &ge; 0:
 * x, d, the pairs s:&lt;id&gt;/y:&lt;id&gt; and the gradients g:&lt;id&gt; the coordinator still refers to)
 * or the coordinator's state (node &minus;1, its JSON in {@link #control}). A Flink POJO.
 */
public class IterationRecord {
  /** The control record's node id. */
  public static final int CONTROL = -1;

  public int node;
  public NamedBlocks blocks;
  public String control;

  public IterationRecord() {}

  IterationRecord(int node, NamedBlocks blocks, String control) {
    this.node = node;
    this.blocks = blocks;
    this.control = control;
  }

  static IterationRecord node(int node, NamedBlocks blocks) {
    return new IterationRecord(node, blocks, null);
  }

  static IterationRecord control(String json) {
    return new IterationRecord(CONTROL, NamedBlocks.empty(), json);
  }

  boolean isControl() {
    return node == CONTROL;
  }
}
