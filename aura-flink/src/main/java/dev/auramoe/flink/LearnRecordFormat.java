package dev.auramoe.flink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * The file source's format: a file is one split (never cut), read line after line by
 * {@link LearnRecords}. A restored reader starts the file again and the source skips the records it
 * had emitted, so that the records, and the line numbers in refusals, are the same after a recovery.
 */
public final class LearnRecordFormat extends SimpleStreamFormat<LearnRecord> {

  private static final long serialVersionUID = 1L;

  private final int inputDim;
  private final int outputDim;

  /** A format for records of these sizes. */
  public LearnRecordFormat(int inputDim, int outputDim) {
    this.inputDim = inputDim;
    this.outputDim = outputDim;
  }

  @Override
  public StreamFormat.Reader<LearnRecord> createReader(Configuration config, FSDataInputStream stream) {
    LearnRecords parser = new LearnRecords(inputDim, outputDim);
    BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
    return new StreamFormat.Reader<>() {
      private long line;

      @Override
      public LearnRecord read() throws IOException {
        for (String s = in.readLine(); s != null; s = in.readLine()) {
          LearnRecord r = parser.parse(s, "line " + ++line);
          if (r != null) {
            return r;
          }
        }
        return null;
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    };
  }

  @Override
  public TypeInformation<LearnRecord> getProducedType() {
    return TypeInformation.of(LearnRecord.class);
  }
}
