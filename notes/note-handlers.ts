/**
 * The NoteService methods: validate, call the store, publish changes.
 * The caller's client id (from the verified token) is recorded on writes.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ChangeType, NoteService, WatchNotesResponseSchema, type Note, type WatchNotesResponse } from "../gen/m2m/notes/v1/notes_pb.js";
import { requirePrincipal } from "../interceptor/connect-auth-interceptor.js";
import type { ChangeFeed } from "../service-runtime/change-feed.js";
import { invalidArgument, requireId } from "../service-runtime/field-validation.js";
import { decodePageToken, encodePageToken, resolvePageSize } from "../service-runtime/pagination.js";
import { resolveUpdatePaths } from "../service-runtime/update-mask.js";
import { watchChanges } from "../service-runtime/watch-stream.js";
import { checkNoteFields, mergeNote, setNoteFields, updatableNoteFields } from "./note-input.js";
import { noteCursor, type NoteStore } from "./note-store.js";

export interface NoteChange {
  type: ChangeType;
  note: Note;
  changedBy: string;
}

function notFound(id: string): ConnectError {
  return new ConnectError(`note "${id}" not found`, Code.NotFound);
}

export function createNoteHandlers(store: NoteStore, feed: ChangeFeed<NoteChange>): ServiceImpl<typeof NoteService> {
  return {
    listNotes(req) {
      const limit = resolvePageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, "notes", ["number", "string"]);
      const { notes, hasMore } = store.list({ limit, ...(after && { after }) });
      const last = notes.at(-1);
      return { notes, nextPageToken: hasMore && last ? encodePageToken(noteCursor(last), "notes") : "" };
    },

    getNote(req) {
      const id = requireId("id", req.id);
      const note = store.get(id);
      if (!note) throw notFound(id);
      return { note };
    },

    createNote(req, ctx) {
      const principal = requirePrincipal(ctx);
      if (!req.note) throw invalidArgument("note", "is required");
      const note = store.insert(checkNoteFields("note", req.note), principal.clientId);
      feed.publish({ type: ChangeType.CREATED, note, changedBy: principal.clientId });
      return { note };
    },

    updateNote(req, ctx) {
      const principal = requirePrincipal(ctx);
      const patch = req.note;
      if (!patch) throw invalidArgument("note", "is required");
      const id = requireId("note.id", patch.id);
      const paths = resolveUpdatePaths(req.updateMask, updatableNoteFields, setNoteFields(patch));
      const note = store.update(id, (current) => mergeNote(current, patch, paths), principal.clientId);
      if (!note) throw notFound(id);
      feed.publish({ type: ChangeType.UPDATED, note, changedBy: principal.clientId });
      return { note };
    },

    deleteNote(req, ctx) {
      const principal = requirePrincipal(ctx);
      const id = requireId("id", req.id);
      const note = store.delete(id);
      if (!note) throw notFound(id);
      feed.publish({ type: ChangeType.DELETED, note, changedBy: principal.clientId });
      return {};
    },

    watchNotes(_req, ctx) {
      const started = create(WatchNotesResponseSchema, { changeType: ChangeType.WATCH_STARTED });
      return watchChanges(feed, ctx, requirePrincipal(ctx), started, (change): WatchNotesResponse =>
        create(WatchNotesResponseSchema, { changeType: change.type, note: change.note, changedBy: change.changedBy }),
      );
    },
  };
}
