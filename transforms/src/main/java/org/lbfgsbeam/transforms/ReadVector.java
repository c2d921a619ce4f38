package org.lbfgsbeam.transforms;

import java.io.IOException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.lbfgsbeam.core.Checks;

/**
 * Reads a stored distributed vector: for each node_id of the input, its block of {@code vector} from
 * {@link BlockFiles}. The input is the collection of node ids, so one {@code Create} serves every read
 * of a pipeline.
 */
public final class ReadVector
    extends PTransform<PCollection<Integer>, PCollection<KV<Integer, double[]>>> {
  private final String directory;
  private final String vector;

  private ReadVector(String directory, String vector) {
    this.directory = directory;
    this.vector = vector;
  }

  /** Reads {@code vector} from the state {@code directory}. */
  public static ReadVector of(String directory, String vector) {
    Checks.checkArgument(directory != null && !directory.isEmpty(), "directory must be set");
    Checks.checkArgument(vector != null && !vector.isEmpty(), "vector name must be set");
    return new ReadVector(directory, vector);
  }

  @Override
  public PCollection<KV<Integer, double[]>> expand(PCollection<Integer> nodes) {
    return nodes.apply("Read " + vector, ParDo.of(new ReadFn(directory, vector)))
        .setCoder(KvCoder.of(VarIntCoder.of(), DoubleArrayCoder.of()));
  }

  private static final class ReadFn extends DoFn<Integer, KV<Integer, double[]>> {
    private final String directory;
    private final String vector;

    ReadFn(String directory, String vector) {
      this.directory = directory;
      this.vector = vector;
    }

    @ProcessElement
    public void process(@Element Integer node, OutputReceiver<KV<Integer, double[]>> out)
        throws IOException {
      out.output(KV.of(node, BlockFiles.read(directory, vector, node)));
    }
  }
}
