/**
 * What server reflection answers from: every proto file a service is built
 * from (with its imports), indexed by file name, by fully qualified symbol
 * (messages, enums, services, methods, extensions) and by the extensions of
 * each message type.
 */
import { toBinary, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

export interface DescriptorIndex {
  /** Fully qualified names of the services served. */
  readonly serviceNames: readonly string[];
  /** The file named `name` and every file it imports, serialized; undefined when unknown. */
  fileByName(name: string): Uint8Array[] | undefined;
  /** The file that defines the symbol, with its imports; undefined when unknown. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined;
  /** The file that defines extension `number` of message type `typeName`, with its imports. */
  fileContainingExtension(typeName: string, number: number): Uint8Array[] | undefined;
  /** Field numbers of the known extensions of a message type; undefined when the type is unknown. */
  extensionNumbers(typeName: string): number[] | undefined;
}

export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const messages = new Set<string>();
  const extensions = new Map<string, DescExtension[]>();

  const addMessage = (message: DescMessage, file: DescFile) => {
    symbols.set(message.typeName, file);
    messages.add(message.typeName);
    for (const nested of message.nestedMessages) addMessage(nested, file);
    for (const e of message.nestedEnums) symbols.set(e.typeName, file);
    for (const ext of message.nestedExtensions) addExtension(ext, file);
  };
  const addExtension = (ext: DescExtension, file: DescFile) => {
    symbols.set(ext.typeName, file);
    const list = extensions.get(ext.extendee.typeName) ?? [];
    list.push(ext);
    extensions.set(ext.extendee.typeName, list);
  };
  const addFile = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dependency of file.dependencies) addFile(dependency);
    for (const message of file.messages) addMessage(message, file);
    for (const e of file.enums) symbols.set(e.typeName, file);
    for (const ext of file.extensions) addExtension(ext, file);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
  };
  for (const service of services) addFile(service.file);

  // A file and its transitive imports, the file first, each once.
  const withImports = (file: DescFile): Uint8Array[] => {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      for (const dependency of f.dependencies) visit(dependency);
    };
    visit(file);
    return out;
  };
  const answer = (file: DescFile | undefined) => (file === undefined ? undefined : withImports(file));

  return {
    serviceNames: services.map((s) => s.typeName),
    fileByName: (name) => answer(files.get(name)),
    fileContainingSymbol: (symbol) => answer(symbols.get(symbol.replace(/^\./, ""))),
    fileContainingExtension: (typeName, number) => answer(extensions.get(typeName)?.find((e) => e.number === number)?.file),
    extensionNumbers: (typeName) => (messages.has(typeName) ? (extensions.get(typeName) ?? []).map((e) => e.number) : undefined),
  };
}
