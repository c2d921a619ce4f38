package org.lbfgsbeam.pipelines.scoring;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.pipelines.cli.EvaluateOptions;
import org.lbfgsbeam.pipelines.data.DataFiles;

/**
 * {@code evaluate}: scores a labelled test set with a trained softmax model and reports accuracy,
 * top-5 accuracy, mean log-loss and per-class precision, recall and F1 ({@link Evaluation}), as a
 * table on stdout and optionally as JSON and a confusion-matrix CSV.
 *
 * <p>The test set's labels are mapped to the model's classes by their original values (a label the
 * model does not know is an error). A test set with fewer features than the model is padded; one with
 * more is scored on the model's features only, its extra features ignored (they have no weight), and
 * the JSON counts the nonzeros so ignored. The model is read one class block at a time.
 */
public final class EvaluateCommand {
  /** Per-class rows printed on stdout; the JSON has them all. */
  private static final int TABLE_ROWS = 50;

  private EvaluateCommand() {}

  /** Runs {@code evaluate}; returns the JSON it reports (written to --output when given). */
  public static ObjectNode run(EvaluateOptions o, PrintStream out) throws Exception {
    Path modelDir = o.model();
    Path dataFile = o.data();
    Path labels = o.labels();
    Path output = o.output();
    Path confusion = o.confusion();
    boolean overwrite = o.overwrite();
    if (output != null) {
      OutputFiles.checkWritable(output, overwrite, "--output");
    }
    if (confusion != null) {
      OutputFiles.checkWritable(confusion, overwrite, "--confusion");
    }
    ClassifierModel model = ClassifierModel.open(modelDir, "evaluate");
    SparseDataset raw = DataFiles.read(dataFile, labels);
    SparseDataset data = DataFiles.alignTo(raw, model.labels(), model.features(), dataFile);
    int top = Math.min(5, model.classes());
    Evaluation e = Evaluation.of(model.score(data, data.labels(), top), data.labels(),
        model.labels());
    long ignored = ignoredNonzeros(data, model.features());

    ObjectNode json = json(model, dataFile, data, e, ignored);
    printTable(out, model, data, e, ignored);
    if (output != null) {
      byte[] bytes = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
      OutputFiles.writeAtomically(output, w -> w.write(new String(bytes,
          java.nio.charset.StandardCharsets.UTF_8)));
    }
    if (confusion != null) {
      OutputFiles.writeAtomically(confusion, e::writeConfusion);
    }
    return json;
  }

  /** Nonzeros of features the model does not have (0-based column &ge; D). */
  static long ignoredNonzeros(SparseDataset data, int features) {
    long count = 0;
    for (int column : data.columns()) {
      if (column >= features) {
        count++;
      }
    }
    return count;
  }

  private static ObjectNode json(ClassifierModel model, Path dataFile, SparseDataset data, Evaluation e,
      long ignored) {
    ObjectNode json = new ObjectMapper().createObjectNode();
    json.put("model", model.dir().toAbsolutePath().normalize().toString());
    json.put("data", dataFile.toAbsolutePath().normalize().toString());
    json.put("examples", e.examples());
    json.put("classes", model.classes());
    json.put("features", model.features());
    json.put("dataFeatures", data.numFeatures());
    json.put("ignoredNonzeros", ignored);
    json.put("accuracy", e.accuracy());
    json.put("topK", e.top());
    json.put("top5Accuracy", e.topAccuracy());
    json.put("logLoss", e.logLoss());
    json.put("macroPrecision", e.macroPrecision());
    json.put("macroRecall", e.macroRecall());
    json.put("macroF1", e.macroF1());
    ArrayNode perClass = json.putArray("perClass");
    for (int c = 0; c < model.classes(); c++) {
      ObjectNode row = perClass.addObject();
      row.put("label", model.labels()[c]);
      row.put("support", e.support()[c]);
      row.put("predicted", e.predictedCount()[c]);
      row.put("correct", e.correct()[c]);
      row.put("precision", e.precision(c));
      row.put("recall", e.recall(c));
      row.put("f1", e.f1(c));
    }
    return json;
  }

  private static void printTable(PrintStream out, ClassifierModel model, SparseDataset data,
      Evaluation e, long ignored) {
    out.printf(Locale.ROOT, "%d examples, %d classes, %d features%s%n", e.examples(),
        model.classes(), model.features(), ignored == 0 ? ""
            : " (" + ignored + " nonzeros of features beyond the model's ignored)");
    out.printf(Locale.ROOT, "accuracy          %.4f%n", e.accuracy());
    out.printf(Locale.ROOT, "top-%d accuracy    %.4f%n", e.top(), e.topAccuracy());
    out.printf(Locale.ROOT, "mean log-loss     %.4f%n", e.logLoss());
    out.println();
    out.printf(Locale.ROOT, "%-10s %9s %9s %9s %9s %9s%n", "label", "precision", "recall", "f1",
        "support", "predicted");
    for (int c = 0; c < Math.min(model.classes(), TABLE_ROWS); c++) {
      out.printf(Locale.ROOT, "%-10d %9.4f %9.4f %9.4f %9d %9d%n", model.labels()[c],
          e.precision(c), e.recall(c), e.f1(c), e.support()[c], e.predictedCount()[c]);
    }
    if (model.classes() > TABLE_ROWS) {
      out.printf(Locale.ROOT, "... %d more classes (all of them in --output)%n",
          model.classes() - TABLE_ROWS);
    }
    out.printf(Locale.ROOT, "%-10s %9.4f %9.4f %9.4f %9d%n", "macro", e.macroPrecision(),
        e.macroRecall(), e.macroF1(), e.examples());
  }
}
