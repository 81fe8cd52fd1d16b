/*
 * A client of the notes service written the way a Java team would: code
 * generated from proto/ with protoc and grpc_java_plugin (packages and
 * classes as the protos' java_* options name them), Debian's grpc-java over
 * Netty, tokens handed in by whoever runs it. It lists, creates and watches
 * notes, then makes calls that must be refused and decodes the
 * m2m.auth.v1.AuthError detail of each refusal.
 *
 * Prints one JSON object with what it observed (test/java-client.test.ts
 * checks it) and exits 1 only when a call that must succeed fails.
 *
 * Environment: NOTES_ADDR (host:port), NOTES_TOKEN (note.read note.write),
 * NOTES_READ_TOKEN (note.read only), CALENDAR_TOKEN (a token for the calendar
 * service, which the notes service must refuse).
 */
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import m2mgrpc.auth.v1.AuthError;
import m2mgrpc.notes.v1.CreateNoteRequest;
import m2mgrpc.notes.v1.DeleteNoteRequest;
import m2mgrpc.notes.v1.ListNotesRequest;
import m2mgrpc.notes.v1.Note;
import m2mgrpc.notes.v1.NoteServiceGrpc;
import m2mgrpc.notes.v1.NoteServiceGrpc.NoteServiceBlockingStub;
import m2mgrpc.notes.v1.WatchNotesRequest;
import m2mgrpc.notes.v1.WatchNotesResponse;

public final class M2mClient {
  private interface Call {
    void run();
  }

  private M2mClient() {}

  public static void main(String[] args) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(System.getenv("NOTES_ADDR")).usePlaintext().build();
    try {
      System.out.println(json(run(channel)));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Map<String, Object> run(ManagedChannel channel) {
    NoteServiceBlockingStub anonymous = NoteServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    NoteServiceBlockingStub rw = withToken(anonymous, System.getenv("NOTES_TOKEN"));
    Map<String, Object> report = new LinkedHashMap<>();

    report.put("listedBefore", rw.listNotes(ListNotesRequest.newBuilder().setPageSize(1000).build()).getNotesCount());

    // The watch: WATCH_STARTED first, then the note we create. Cancelling the context ends the stream.
    Context.CancellableContext watchContext = Context.current().withCancellation();
    Iterator<WatchNotesResponse> stream;
    Context previous = watchContext.attach();
    try {
      stream = rw.watchNotes(WatchNotesRequest.getDefaultInstance());
    } finally {
      watchContext.detach(previous);
    }
    WatchNotesResponse first = stream.next();
    Note note = rw.createNote(CreateNoteRequest.newBuilder().setNote(Note.newBuilder().setTitle("from java").setDescription("generated client")).build()).getNote();
    report.put("created", Map.of("id", note.getId(), "title", note.getTitle(), "createdBy", note.getCreatedBy()));
    WatchNotesResponse change = stream.next();
    watchContext.cancel(null);
    report.put("watch", List.of(
        Map.of("changeType", first.getChangeType().name()),
        Map.of("changeType", change.getChangeType().name(), "noteId", change.getNote().getId())));

    List<String> ids = new ArrayList<>();
    for (Note listed : rw.listNotes(ListNotesRequest.newBuilder().setPageSize(1000).build()).getNotesList()) ids.add(listed.getId());
    report.put("listedAfter", ids);

    // What must be refused, each with its AuthError detail.
    report.put("noToken", refusalOf(() -> anonymous.listNotes(ListNotesRequest.getDefaultInstance())));
    report.put("garbageToken", refusalOf(() -> withToken(anonymous, "x.y.z").listNotes(ListNotesRequest.getDefaultInstance())));
    report.put("calendarToken", refusalOf(() -> withToken(anonymous, System.getenv("CALENDAR_TOKEN")).listNotes(ListNotesRequest.getDefaultInstance())));
    report.put("readOnlyWrite", refusalOf(() -> withToken(anonymous, System.getenv("NOTES_READ_TOKEN"))
        .createNote(CreateNoteRequest.newBuilder().setNote(Note.newBuilder().setTitle("refused")).build())));
    // A stream's refusal arrives with its first message.
    report.put("watchWithoutToken", refusalOf(() -> anonymous.watchNotes(WatchNotesRequest.getDefaultInstance()).hasNext()));

    rw.deleteNote(DeleteNoteRequest.newBuilder().setId(note.getId()).build());
    return report;
  }

  private static NoteServiceBlockingStub withToken(NoteServiceBlockingStub stub, String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** The status code of a call that should fail, and the fields of its AuthError detail. */
  private static Map<String, Object> refusalOf(Call call) {
    Map<String, Object> refusal = new LinkedHashMap<>();
    try {
      call.run();
      refusal.put("code", "OK");
      return refusal;
    } catch (StatusRuntimeException e) {
      refusal.put("code", e.getStatus().getCode().name());
      com.google.rpc.Status status = StatusProto.fromThrowable(e);
      if (status == null) return refusal;
      for (Any detail : status.getDetailsList()) {
        if (!detail.is(AuthError.class)) continue;
        AuthError authError;
        try {
          authError = detail.unpack(AuthError.class);
        } catch (InvalidProtocolBufferException bad) {
          refusal.put("detail", "undecodable: " + bad.getMessage());
          continue;
        }
        refusal.put("reason", authError.getReason().name());
        if (authError.getRequiredScopesCount() > 0) refusal.put("requiredScopes", authError.getRequiredScopesList());
        if (authError.getGrantedScopesCount() > 0) refusal.put("grantedScopes", authError.getGrantedScopesList());
        if (!authError.getAudience().isEmpty()) refusal.put("audience", authError.getAudience());
      }
      return refusal;
    }
  }

  /** JSON for the report's maps, lists, strings and numbers (Debian's protobuf-java has no JSON for plain objects). */
  private static String json(Object value) {
    if (value instanceof Map<?, ?> map) {
      StringBuilder out = new StringBuilder("{");
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (out.length() > 1) out.append(',');
        out.append(json(entry.getKey().toString())).append(':').append(json(entry.getValue()));
      }
      return out.append('}').toString();
    }
    if (value instanceof List<?> list) {
      StringBuilder out = new StringBuilder("[");
      for (Object item : list) {
        if (out.length() > 1) out.append(',');
        out.append(json(item));
      }
      return out.append(']').toString();
    }
    if (value instanceof Number) return value.toString();
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toString().toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }
}
