package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.UUID;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.BatchSumObjective;

/**
 * What a worker needs to evaluate a user's data-parallel objective ({@link ObjectiveSpec.Model#BATCHES}):
 * the {@link BatchSum} (the user's batch objective, serialised with the job), where its batches are
 * staged ({@link StagedBatches}) and where the start point &theta;<sub>0</sub> is stored (a block file,
 * so that &theta;<sub>0</sub> does not travel inside every DoFn). Equal by {@link #id()} only: a run has
 * one id, and a worker that deserialises the spec again finds the objective it already built.
 *
 * @param id the run's id
 * @param sum the objective
 * @param batches the staged batches
 * @param startDirectory the directory holding &theta;<sub>0</sub> as vector {@link #START} (one block)
 */
public record BatchSumSpec(String id, BatchSum<?> sum, StagedBatches<?> batches,
    String startDirectory) implements Serializable {
  /** The name of the stored start point. */
  public static final String START = "theta0";

  public BatchSumSpec {
    Checks.checkArgument(id != null && !id.isEmpty(), "id must be set");
    Checks.checkArgument(sum != null, "sum must not be null");
    Checks.checkArgument(batches != null, "batches must not be null");
    Checks.checkArgument(startDirectory != null, "start directory must be set");
  }

  /** A new run's spec; stores {@code theta0} under {@code startDirectory}. */
  public static BatchSumSpec create(BatchSum<?> sum, StagedBatches<?> batches, double[] theta0,
      String startDirectory) throws IOException {
    Checks.checkArgument(theta0 != null && theta0.length == sum.dimension(),
        "theta0 has %s entries, but the objective has %s parameters",
        theta0 == null ? -1 : theta0.length, sum.dimension());
    BlockFiles.write(startDirectory, START, 0, theta0);
    return new BatchSumSpec(UUID.randomUUID().toString(), sum, batches, startDirectory);
  }

  /** Builds the objective: reads every shard and &theta;<sub>0</sub>. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  BatchSumObjective<?> build(int partitions) {
    try {
      List batches = batches().readAll();
      double[] start = BlockFiles.read(startDirectory, START, 0);
      return BatchSumObjective.of((BatchSum) sum, batches, batches().shards(), partitions,
          Runtime.getRuntime().availableProcessors(), start);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the staged batches: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchSumSpec other && id.equals(other.id);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "BatchSumSpec{" + id + ", " + batches + "}";
  }
}
