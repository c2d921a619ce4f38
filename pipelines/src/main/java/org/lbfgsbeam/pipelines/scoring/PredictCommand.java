package org.lbfgsbeam.pipelines.scoring;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.cli.PredictOptions;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.transforms.ClassScores;

/**
 * {@code predict}: the most probable labels of each example under a trained softmax model, as CSV:
 * <pre>
 * example,label,predicted,top1_label,top1_probability,...,topK_label,topK_probability
 * </pre>
 * {@code example} is the 0-based position in the data file, {@code label} the label the file gives
 * (not used for scoring: it may be one the model does not know), {@code predicted} the most probable
 * label (= top1_label). Probabilities have 6 significant digits. The file is written under a temporary
 * name and renamed when complete. Features beyond the model's are ignored.
 */
public final class PredictCommand {

  private PredictCommand() {}

  /** Runs {@code predict}; reports the file written on {@code out}. */
  public static void run(PredictOptions o, PrintStream out) throws Exception {
    Path modelDir = o.model();
    Path dataFile = o.data();
    Path labels = o.labels();
    Path output = o.output();
    int requestedTop = o.top();
    OutputFiles.checkWritable(output, o.overwrite(), "--output");
    ClassifierModel model = ClassifierModel.open(modelDir, "predict");
    if (o.topGiven() && requestedTop > model.classes()) {
      throw new CommandLine.UsageException("--top must be in [1, " + model.classes()
          + "] (the model's classes), but was: " + requestedTop);
    }
    int top = Math.min(requestedTop, model.classes());
    SparseDataset data = DataFiles.read(dataFile, labels);
    ClassScores scores = model.score(data, null, top);
    int[] modelLabels = model.labels();
    int[] given = data.labels();
    int[] givenLabels = data.classLabels();
    OutputFiles.writeAtomically(output, w -> {
      StringBuilder line = new StringBuilder("example,label,predicted");
      for (int r = 1; r <= top; r++) {
        line.append(",top").append(r).append("_label,top").append(r).append("_probability");
      }
      w.write(line.append('\n').toString());
      for (int i = 0; i < scores.examples(); i++) {
        line.setLength(0);
        line.append(i).append(',').append(givenLabels[given[i]]).append(',')
            .append(modelLabels[scores.predicted(i)]);
        for (int r = 0; r < top; r++) {
          line.append(',').append(modelLabels[scores.classAt(i, r)]).append(',')
              .append(String.format(Locale.ROOT, "%.6g", scores.probabilityAt(i, r)));
        }
        w.write(line.append('\n').toString());
      }
    });
    out.printf(Locale.ROOT, "%d predictions (top %d) written to %s%n", scores.examples(), top,
        output);
  }
}
