package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lbfgsbeam.pipelines.cli.CommandLine;

/**
 * Refuses {@code train --resume} with other data or options than the run it continues, naming each
 * field of the stored {@code state/run.json} that differs with both values and, where the field
 * comes from one, the command-line option that sets it: a resumed run must be the run that was
 * started, or its bits (and the state it continues from) mean nothing. For example
 * {@code --resume with --lambda 0.001, but the run in out was started with 1.0E-4 (run.json field
 * lambda); resume with the same options or start a new run with --overwrite}.
 */
final class ResumeCheck {
  /**
   * How each run.json field is said, {@code %s} standing for its value: the option that sets it, or
   * what it tells of the data. Nested fields are named by path ({@code optimizer.history}).
   */
  private static final Map<String, String> SAID = Map.ofEntries(
      Map.entry("data", "--data %s"),
      Map.entry("dataBytes", "--data of %s bytes"),
      Map.entry("dataShards", "--data of %s shard files"),
      Map.entry("labels", "--labels %s"),
      Map.entry("validation", "--validation %s"),
      Map.entry("examples", "data of %s examples"),
      Map.entry("features", "data of %s features"),
      Map.entry("classes", "data of %s classes"),
      Map.entry("model", "--model %s"),
      Map.entry("lambda", "--lambda %s"),
      Map.entry("partitions", "--partitions %s"),
      Map.entry("network", "the network %s"),
      Map.entry("network.layerSizes", "layer sizes %s (features, --hidden, classes)"),
      Map.entry("network.activation", "--activation %s"),
      Map.entry("network.loss", "--loss %s"),
      Map.entry("network.batchSize", "--batch-size %s"),
      Map.entry("network.shards", "--shards %s"),
      Map.entry("network.seed", "--seed %s"),
      Map.entry("optimizer.history", "--history %s"),
      Map.entry("optimizer.gradientTolerance", "--gradient-tolerance %s"),
      Map.entry("optimizer.progressTolerance", "--progress-tolerance %s"),
      Map.entry("optimizer.maxIterations", "--max-iterations %s"),
      Map.entry("optimizer.maxEvaluations", "--max-evaluations %s"),
      Map.entry("optimizer.c1", "line-search c1 %s"),
      Map.entry("optimizer.c2", "line-search c2 %s"),
      Map.entry("optimizer.maxLineSearchEvaluations", "at most %s line-search evaluations"),
      Map.entry("optimizer.direction", "--direction %s"));

  private ResumeCheck() {}

  /**
   * @param stored the run.json of the run in {@code output}
   * @param current the description of the run asked for, as read back from its text (so that
   *     number node types compare as the stored ones)
   * @throws CommandLine.UsageException naming every field that differs, if any
   */
  static void requireSameRun(JsonNode stored, JsonNode current, Path output) {
    List<Difference> differences = new ArrayList<>();
    compare("", stored, current, differences);
    if (differences.isEmpty()) {
      return;
    }
    StringBuilder message = new StringBuilder("--resume ");
    for (int i = 0; i < differences.size(); i++) {
      message.append(i == 0 ? "" : "; ")
          .append(differences.get(i).clause(i == 0 ? "the run in " + output : "it"));
    }
    throw new CommandLine.UsageException(message.append("; resume with the same options or start"
        + " a new run with --overwrite").toString());
  }

  /** A field whose stored value {@code was} differs from {@code now}; null where it is absent. */
  private record Difference(String field, JsonNode was, JsonNode now) {
    /** "with X, but RUN was started with Y (run.json field F)"; an absent side says "without". */
    String clause(String run) {
      String said = SAID.getOrDefault(field, field + " %s");
      String subject = said.replace(" %s", "").replace("%s ", "");
      String nowSaid = now == null ? "without " + subject : "with " + said.formatted(text(now));
      String wasSaid = was == null ? "without it" : "with " + text(was);
      return nowSaid + ", but " + run + " was started " + wasSaid + " (run.json field " + field
          + ")";
    }

    private String text(JsonNode value) {
      if (field.equals("optimizer.direction")) { // stored as the enum's name, given as vector-free
        return value.asText().toLowerCase(Locale.ROOT).replace('_', '-');
      }
      return value.isValueNode() ? value.asText() : value.toString();
    }
  }

  /** Adds each differing field of the objects {@code stored} and {@code current}. */
  private static void compare(String prefix, JsonNode stored, JsonNode current,
      List<Difference> differences) {
    Set<String> fields = new LinkedHashSet<>();
    current.fieldNames().forEachRemaining(fields::add);
    stored.fieldNames().forEachRemaining(fields::add);
    for (String name : fields) {
      String field = prefix + name;
      JsonNode was = stored.get(name);
      JsonNode now = current.get(name);
      if (was != null && now != null && was.isObject() && now.isObject()) {
        compare(field + ".", was, now, differences);
      } else if (was == null || now == null || !was.equals(now)) {
        differences.add(new Difference(field, was, now));
      }
    }
  }
}
