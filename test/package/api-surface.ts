import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/**
 * What in the props interfaces exported by `entry` (and the interfaces they reach) has no
 * equivalent in jsii's type system (README "Use the construct in your own CDK app"): unions other
 * than `| undefined`, literal, mapped, conditional and inferred types (zod's `z.infer` among them),
 * type aliases, anonymous object types other than a string-keyed map, mutable or method members,
 * and interfaces of this project reachable from the props but not exported. One line per problem,
 * `Interface.member: what`. Only this project's sources are compiled (packages' declarations take
 * seconds to load): a type imported from a package, such as aws-cdk-lib's `Duration`, is taken as
 * it is (aws-cdk-lib is itself a jsii library), unless it is generic (as `z.infer<…>`).
 */
export function unsupportedPublicTypes(entry: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), { types: [], noEmit: true, noResolve: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const program = ts.createProgram(ownSources(entry), config?.options ?? {});
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  const exported = new Set(checker.getExportsOfModule(moduleSymbol).flatMap((s) => resolved(checker, s).declarations ?? []));
  const own = (node: ts.Node) => !node.getSourceFile().fileName.includes('/node_modules/');

  const problems: string[] = [];
  const pending = [...exported].filter(ts.isInterfaceDeclaration);
  const checked = new Set<ts.InterfaceDeclaration>();
  for (let decl = pending.pop(); decl; decl = pending.pop()) {
    if (checked.has(decl)) continue;
    checked.add(decl);
    for (const member of decl.members) {
      const where = `${decl.name.text}.${member.name?.getText() ?? '[index]'}`;
      if (!ts.isPropertySignature(member)) {
        problems.push(`${where}: not a property (props hold data only)`);
        continue;
      }
      if (!member.modifiers?.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword)) problems.push(`${where}: not readonly`);
      if (member.type) checkType(member.type, where);
      else problems.push(`${where}: no declared type`);
    }
  }
  return problems;

  function checkType(node: ts.TypeNode, where: string): void {
    const say = (what: string): void => {
      problems.push(`${where}: ${what} (${node.getText()})`);
    };
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
      case ts.SyntaxKind.NumberKeyword:
      case ts.SyntaxKind.BooleanKeyword:
      case ts.SyntaxKind.UnknownKeyword:
      case ts.SyntaxKind.AnyKeyword:
        return;
      case ts.SyntaxKind.ArrayType:
        return checkType((node as ts.ArrayTypeNode).elementType, where);
      case ts.SyntaxKind.UnionType: {
        const defined = (node as ts.UnionTypeNode).types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword);
        if (defined.length === 1 && defined[0]) return checkType(defined[0], where);
        return say('a union: use a string enum, or one property per alternative');
      }
      case ts.SyntaxKind.TypeLiteral: {
        const [only, ...more] = (node as ts.TypeLiteralNode).members;
        if (only && more.length === 0 && ts.isIndexSignatureDeclaration(only) && only.parameters[0]?.type?.kind === ts.SyntaxKind.StringKeyword && only.type) {
          return checkType(only.type, where);
        }
        return say('an anonymous object type: declare an interface, or a map { [key: string]: T }');
      }
      case ts.SyntaxKind.TypeReference:
        return checkReference(node as ts.TypeReferenceNode, where, say);
      case ts.SyntaxKind.MappedType:
        return say('a mapped type');
      case ts.SyntaxKind.ConditionalType:
        return say('a conditional type');
      case ts.SyntaxKind.LiteralType:
      case ts.SyntaxKind.TemplateLiteralType:
        return say('a literal type: use a string enum');
      default:
        return say(`a ${ts.SyntaxKind[node.kind]}, which jsii cannot represent`);
    }
  }

  function checkReference(node: ts.TypeReferenceNode, where: string, say: (what: string) => void): void {
    const symbol = checker.getSymbolAtLocation(node.typeName);
    const decl = symbol && resolved(checker, symbol).declarations?.[0];
    if (!decl) return node.typeArguments?.length ? say('a generic type from a package') : undefined;
    if (ts.isTypeAliasDeclaration(decl)) {
      const kind = decl.type.kind === ts.SyntaxKind.MappedType ? 'mapped' : decl.type.kind === ts.SyntaxKind.ConditionalType ? 'conditional' : /\binfer\b/.test(decl.type.getText()) ? 'zod-inferred' : 'aliased';
      return say(`a ${kind} type alias: declare an interface or a string enum`);
    }
    if (ts.isInterfaceDeclaration(decl) && decl.name.text === 'Array' && !own(decl)) {
      const [element] = node.typeArguments ?? [];
      return element ? checkType(element, where) : undefined;
    }
    if (node.typeArguments?.length) return say('a generic type');
    if (!ts.isInterfaceDeclaration(decl) && !ts.isClassDeclaration(decl) && !ts.isEnumDeclaration(decl)) return say('neither an interface, a class nor an enum');
    if (!own(decl)) return;
    if (!exported.has(decl)) say(`${relative(ROOT, decl.getSourceFile().fileName)} declares it, but ${relative(ROOT, entry)} does not export it`);
    if (ts.isInterfaceDeclaration(decl)) pending.push(decl);
  }
}

/** `entry` and the files of this project it imports, directly or not (relative imports). */
function ownSources(entry: string): string[] {
  const files = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8')).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = join(dirname(file), fileName);
      const found = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
      if (!found) throw new Error(`${relative(ROOT, file)} imports ${fileName}, which is not a TypeScript file here`);
      pending.push(found);
    }
  }
  return [...files];
}

function resolved(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}
