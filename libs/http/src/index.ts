export { appendForwardedFor, copyEndToEndHeaders, type HeaderMap } from './proxy-headers.js';
