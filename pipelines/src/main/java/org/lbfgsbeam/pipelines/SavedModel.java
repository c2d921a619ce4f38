package org.lbfgsbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.transforms.WeightsIntegrity;

/**
 * A model directory written by {@code train} ({@link ModelFiles}), opened for scoring: its {@code
 * model.json} is read at once, its weights block by block, so a softmax model whose K&times;D matrix
 * does not fit in memory is still scored one class block at a time. Each weights file is checked as
 * it is read ({@link WeightsIntegrity}): its length against its shape in model.json, every weight
 * finite, and its SHA-256 when model.json records one.
 *
 * @param dir the model directory (holding model.json)
 * @param model softmax, logistic or least-squares
 * @param classes K
 * @param features D
 * @param labels int[K], the original label of each class, ascending
 * @param blocks the weights files, in file order
 */
record SavedModel(Path dir, String model, int classes, int features, int[] labels,
    List<Block> blocks) implements ClassifierModel {

  @Override
  public SoftmaxScorer.Scores score(org.lbfgsbeam.core.data.SparseDataset data, int[] trueClass,
      int top) throws IOException {
    SoftmaxScorer scorer = new SoftmaxScorer(data, trueClass, features, classes, top);
    forEachSoftmaxBlock(scorer::addBlock);
    return scorer.finish();
  }

  /**
   * One weights file: rows [firstRow, firstRow + rows) of W.
   *
   * @param sha256 the file's SHA-256 from model.json (64 lowercase hex digits), or null if the
   *     model was written before checksums were recorded
   */
  record Block(Path file, int firstRow, int rows, String sha256) {}

  /** Receives one class block of a softmax model. */
  interface BlockConsumer {
    /**
     * @param firstClass the block's first class
     * @param count K<sub>b</sub>, its number of classes
     * @param featureMajor double[D&times;K<sub>b</sub>]: entry j&middot;K<sub>b</sub> + c is
     *     W[firstClass + c][j], the layout of the training objective
     */
    void accept(int firstClass, int count, double[] featureMajor) throws IOException;
  }

  /**
   * Opens a model: {@code dir} is the model directory or a run directory holding {@code model/}.
   *
   * @throws InputFormatException naming model.json if it is not a model this code wrote
   * @throws java.nio.file.NoSuchFileException if there is no model.json
   */
  static SavedModel open(Path dir) throws IOException {
    Path modelDir = !Files.exists(dir.resolve("model.json"))
        && Files.exists(dir.resolve("model").resolve("model.json")) ? dir.resolve("model") : dir;
    Path file = modelDir.resolve("model.json");
    String source = file.toString();
    JsonNode json;
    try {
      json = new ObjectMapper().readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InputFormatException(source, 0, "not JSON: " + e.getOriginalMessage());
    } catch (java.io.FileNotFoundException e) {
      throw new java.nio.file.NoSuchFileException(source);
    }
    if (json == null || !ModelFiles.FORMAT.equals(json.path("format").asText())) {
      throw new InputFormatException(source, 0, "not a " + ModelFiles.FORMAT + " model");
    }
    int k = json.path("classes").asInt(-1);
    int d = json.path("features").asInt(-1);
    JsonNode labelArray = json.path("labels");
    if (k < 1 || d < 0 || !labelArray.isArray() || labelArray.size() != k) {
      throw new InputFormatException(source, 0, "needs classes >= 1, features >= 0 and K labels,"
          + " but has classes " + json.path("classes") + ", features " + json.path("features")
          + " and " + labelArray.size() + " labels");
    }
    int[] labels = new int[k];
    for (int c = 0; c < k; c++) {
      labels[c] = labelArray.get(c).asInt();
      if (c > 0 && labels[c] <= labels[c - 1]) {
        throw new InputFormatException(source, 0, "labels are not strictly ascending at index "
            + c);
      }
    }
    List<Block> blocks = new ArrayList<>();
    for (JsonNode b : json.path("blocks")) {
      blocks.add(new Block(modelDir.resolve(b.path("file").asText()), b.path("firstRow").asInt(),
          b.path("rows").asInt(), WeightsIntegrity.checksumField(b, WeightsIntegrity.BLOCK_FIELD,
              source, "blocks[" + blocks.size() + "]")));
    }
    if (blocks.isEmpty()) {
      throw new InputFormatException(source, 0, "lists no weights blocks");
    }
    return new SavedModel(modelDir, json.path("model").asText(), k, d, labels, List.copyOf(blocks));
  }

  /** Refuses any model but softmax, naming the command. */
  void requireSoftmax(String command) {
    if (!"softmax".equals(model)) {
      throw new CommandLine.UsageException(command + " scores softmax models, but "
          + dir.resolve("model.json") + " is a " + model + " model");
    }
  }

  /**
   * Reads the class blocks in file order and hands each over in the training layout; checks that they
   * cover the K classes exactly once, and each file before its block is handed over: its length
   * against the shape model.json gives, then its header, that every weight is finite, and its
   * SHA-256 when model.json records one.
   *
   * @throws InputFormatException naming the weights file if its shape or length disagrees with
   *     model.json, a weight is not finite or its SHA-256 is not the recorded one
   */
  void forEachSoftmaxBlock(BlockConsumer consumer) throws IOException {
    boolean[] seen = new boolean[classes];
    for (Block block : blocks) {
      String source = block.file().toString();
      if (block.firstRow() < 0 || block.rows() < 1 || block.firstRow() + block.rows() > classes) {
        throw new InputFormatException(source, 0, "rows [" + block.firstRow() + ", "
            + (block.firstRow() + block.rows()) + ") are not classes of a K = " + classes
            + " model");
      }
      WeightsIntegrity.checkLength(source, Files.size(block.file()), block.rows(), features);
      MessageDigest digest = WeightsIntegrity.newDigest();
      double[][] rows;
      try (InputStream in = new DigestInputStream(
          new BufferedInputStream(Files.newInputStream(block.file()), 1 << 16), digest)) {
        rows = ModelFiles.readMatrix(in, source);
        // None left if the shape agrees; read so that every byte is digested.
        in.transferTo(OutputStream.nullOutputStream());
      } catch (java.io.EOFException e) {
        throw new InputFormatException(source, 0, "truncated weights file");
      } catch (IOException e) {
        // ModelFiles reports a bad header as "<file>: <reason>"
        String message = String.valueOf(e.getMessage());
        if (e instanceof InputFormatException || !message.startsWith(source + ": ")) {
          throw e;
        }
        throw new InputFormatException(source, 0, message.substring(source.length() + 2));
      }
      if (rows.length != block.rows()) {
        throw new InputFormatException(source, 0, rows.length + " rows, but model.json says "
            + block.rows());
      }
      int kb = block.rows();
      double[] featureMajor = new double[features * kb];
      for (int c = 0; c < kb; c++) {
        if (rows[c].length != features) {
          throw new InputFormatException(source, 0, rows[c].length + " columns, but the model has "
              + features + " features");
        }
        if (seen[block.firstRow() + c]) {
          throw new InputFormatException(source, 0, "class " + (block.firstRow() + c)
              + " appears in two blocks");
        }
        seen[block.firstRow() + c] = true;
        for (int j = 0; j < features; j++) {
          if (!Double.isFinite(rows[c][j])) {
            int q = c * features + j;
            throw WeightsIntegrity.nonFinite(source, q, WeightsIntegrity.classAndFeature(
                block.firstRow(), features).apply(q), rows[c][j]);
          }
          featureMajor[j * kb + c] = rows[c][j];
        }
      }
      WeightsIntegrity.checkDigest(source, block.sha256(), digest);
      consumer.accept(block.firstRow(), kb, featureMajor);
    }
    for (int c = 0; c < classes; c++) {
      if (!seen[c]) {
        throw new InputFormatException(dir.resolve("model.json").toString(), 0,
            "no weights for class " + c);
      }
    }
  }
}
