package org.lbfgsbeam.pipelines.flink;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.lbfgsbeam.transforms.NamedBlocks;

/** Flink's Kryo writes {@link NamedBlocks} with the project's raw-double coder, not field by field. */
public final class NamedBlocksKryoSerializer extends Serializer<NamedBlocks> implements Serializable {
  private static final long serialVersionUID = 1L;

  @Override
  public void write(Kryo kryo, Output output, NamedBlocks blocks) {
    try {
      NamedBlocks.Coder.of().encode(blocks, output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public NamedBlocks read(Kryo kryo, Input input, Class<NamedBlocks> type) {
    try {
      return NamedBlocks.Coder.of().decode(input);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
