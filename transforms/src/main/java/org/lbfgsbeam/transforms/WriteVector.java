package org.lbfgsbeam.transforms;

import java.io.IOException;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.lbfgsbeam.core.Checks;

/**
 * Stores a distributed vector, one {@link BlockFiles} file per node_id, each written atomically. Its
 * output (the node ids written) lets a later step wait for the writes.
 */
public final class WriteVector
    extends PTransform<PCollection<KV<Integer, double[]>>, PCollection<Integer>> {
  private final String directory;
  private final String vector;

  private WriteVector(String directory, String vector) {
    this.directory = directory;
    this.vector = vector;
  }

  /** Writes {@code vector} into the state {@code directory}. */
  public static WriteVector to(String directory, String vector) {
    Checks.checkArgument(directory != null && !directory.isEmpty(), "directory must be set");
    Checks.checkArgument(vector != null && !vector.isEmpty(), "vector name must be set");
    return new WriteVector(directory, vector);
  }

  @Override
  public PCollection<Integer> expand(PCollection<KV<Integer, double[]>> blocks) {
    return blocks.apply("Write " + vector, ParDo.of(new WriteFn(directory, vector)));
  }

  private static final class WriteFn extends DoFn<KV<Integer, double[]>, Integer> {
    private final String directory;
    private final String vector;

    WriteFn(String directory, String vector) {
      this.directory = directory;
      this.vector = vector;
    }

    @ProcessElement
    public void process(@Element KV<Integer, double[]> block, OutputReceiver<Integer> out)
        throws IOException {
      BlockFiles.write(directory, vector, block.getKey(), block.getValue());
      out.output(block.getKey());
    }
  }
}
