import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { Account } from '../../accounts/entities/account.entity';
import { AccountsService } from '../../accounts/accounts.service';
import { AuthError } from '../../app/auth-errors';

/** The first factor: email and password from the JSON body. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly accounts: AccountsService) {
    super({ usernameField: 'email', passwordField: 'password', session: false });
  }

  async validate(email: string, password: string): Promise<Account> {
    const account = await this.accounts.authenticate(email, password);
    if (!account) throw new AuthError('invalid_credentials', 'Email or password is wrong.');
    return account;
  }
}
