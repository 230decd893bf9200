// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API
// before it loads (the library's README asks its users for a polyfill): every PKI file imports
// the library from here, so the polyfill is always evaluated first.
import 'reflect-metadata';

export * from '@peculiar/x509';
