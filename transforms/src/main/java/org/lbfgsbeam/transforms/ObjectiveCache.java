package org.lbfgsbeam.transforms;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystems;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.objective.LinearModelObjective;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.objective.SoftmaxObjective;

/**
 * One objective per worker JVM and {@link ObjectiveSpec}: the training data is read once through Beam's
 * FileSystems and kept for every later superstep (prepared data files are immutable, so the cache
 * never goes stale). DoFns call {@link #get} in their {@code @Setup}.
 */
public final class ObjectiveCache {
  private static final ConcurrentHashMap<ObjectiveSpec, PartitionedObjective> OBJECTIVES =
      new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, SparseDataset> DATA = new ConcurrentHashMap<>();

  private ObjectiveCache() {}

  /** The objective of {@code spec}, loading its data on first use in this JVM. */
  public static PartitionedObjective get(ObjectiveSpec spec) {
    return OBJECTIVES.computeIfAbsent(spec, s -> build(s, data(s.dataPath())));
  }

  /**
   * The objective of {@code spec} built on the data that {@code data} supplies (a Flink broadcast
   * variable, say), once per JVM.
   */
  public static PartitionedObjective get(ObjectiveSpec spec,
      java.util.function.Supplier<SparseDataset> data) {
    return OBJECTIVES.computeIfAbsent(spec, s -> build(s, data.get()));
  }

  /** Builds the objective of {@code spec} on {@code data}. */
  public static PartitionedObjective build(ObjectiveSpec spec, SparseDataset data) {
    PartitionedObjective objective = switch (spec.model()) {
      case SOFTMAX -> new SoftmaxObjective(data, spec.lambda(), spec.blocks());
      case LOGISTIC -> new LinearModelObjective(data, LinearModelObjective.Loss.LOGISTIC,
          spec.lambda(), spec.blocks());
      case LEAST_SQUARES -> new LinearModelObjective(data, LinearModelObjective.Loss.SQUARED,
          spec.lambda(), spec.blocks());
    };
    if (objective.linearMargins() != spec.linearMargins()) {
      throw new IllegalStateException("ObjectiveSpec.linearMargins() disagrees with " + objective);
    }
    return objective;
  }

  /** The prepared data at {@code path}, read once per JVM. */
  public static SparseDataset data(String path) {
    return DATA.computeIfAbsent(path, p -> {
      try (InputStream in = new BufferedInputStream(Channels.newInputStream(
          FileSystems.open(FileSystems.matchSingleFileSpec(p).resourceId())), 1 << 16)) {
        return DatasetFile.read(in);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read prepared data " + p + ": " + e.getMessage(), e);
      }
    });
  }
}
